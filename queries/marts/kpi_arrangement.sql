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
    select periode, productcode, count(distinct client_pseudoniem) as clienten
    from stg_toewijzing_perioden
    group by periode, productcode
),
declaraties as (
    select mp.periode, d.productcode, sum(d.bedrag) as gedeclareerd
    from stg_declaratieregels d
    join stg_maand_perioden mp on mp.maand = d.maand
    group by mp.periode, d.productcode
),
sleutels as (
    select p.periode, pr.productcode from stg_perioden p cross join stg_producten pr
    union select periode, productcode from actief
    union select periode, productcode from declaraties
)
select
    p.periode,
    p.periode_begin,
    p.periode_eind,
    k.productcode,
    coalesce(a.clienten, 0) as clienten,
    cast(coalesce(d.gedeclareerd, 0) as decimal(18, 2)) as gedeclareerd,
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
left join actief a on a.periode = k.periode and a.productcode = k.productcode
left join declaraties d on d.periode = k.periode and d.productcode = k.productcode
