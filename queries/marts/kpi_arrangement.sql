-- @partition: periode
-- Clients and spend per period and product code, with the product's model and its
-- cell in the TO matrix (resultaatgebieden x type x intensiteit: 18 cells)
-- (indicators.md, kpi_arrangement).
-- Choice: every product of producten.csv has a row in every period (0 when unused), so
-- the matrix is always whole; a code used but missing from producten.csv has a row with
-- empty attributes.
-- * periode: 2019-Q3 or 2019-H2
-- * periode_begin, periode_eind: first and last day of the period
-- * productcode: product code
-- * clienten: distinct clients with an allocation of the product active in the period
-- * gedeclareerd: sum of declaration line amounts (signed) on the product in the period, euro
-- * peildatum: the as-of date the figures were computed with
with
actief as (
    select periode, productcode, count(distinct client_sleutel) as clienten
    from stg_toewijzing_perioden
    group by periode, productcode
),
declaraties as (
    select mp.periode, d.productcode, sum(d.gedeclareerd) as gedeclareerd
    -- per month first: millions of lines become a few thousand rows before each month
    -- is counted in its quarter and its half-year
    from (
        select maand, productcode, sum(bedrag) as gedeclareerd
        from stg_declaratieregels
        group by maand, productcode
    ) d
    join stg_maand_perioden mp on mp.maand = d.maand
    group by mp.periode, d.productcode
),
-- Full joins, so that each part is computed once (DataFusion computes a CTE again
-- wherever it is named).
sleutels as (
    select
        coalesce(b.periode, a.periode, d.periode) as periode,
        coalesce(b.productcode, a.productcode, d.productcode) as productcode,
        a.clienten,
        d.gedeclareerd
    from (select p.periode, pr.productcode from stg_perioden p cross join stg_producten pr) b
    full join actief a on a.periode = b.periode and a.productcode = b.productcode
    full join declaraties d
        on d.periode = coalesce(b.periode, a.periode) and d.productcode = coalesce(b.productcode, a.productcode)
)
select
    p.periode,
    p.periode_begin,
    p.periode_eind,
    k.productcode,
    coalesce(k.clienten, 0) as clienten,
    cast(coalesce(k.gedeclareerd, 0) as decimal(18, 2)) as gedeclareerd,
    pr.productcategorie,
    pr.omschrijving,
    pr.model,
    pr.maatwerk,
    pr.resultaatgebieden,
    pr.type,
    pr.intensiteit,
    pd.peildatum
from sleutels k
join stg_perioden p on p.periode = k.periode
cross join peildatum pd
left join stg_producten pr on pr.productcode = k.productcode
