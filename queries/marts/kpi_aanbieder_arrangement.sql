-- @partition: periode
-- Clients and spend per period, provider and product code: a provider's arrangement
-- mix, for the 18-cell TO matrix of its performance-dialogue pack (indicators.md,
-- kpi_arrangement, taken per provider).
-- Choice: unlike kpi_arrangement, only products the provider had an active allocation
-- or a declaration line on have a row; the pack fills the other cells with 0.
-- * periode: 2019-Q3 or 2019-H2
-- * periode_begin, periode_eind: first and last day of the period
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * productcode: product code
-- * clienten: distinct clients with an allocation of the provider on the product active in the period
-- * gedeclareerd: sum of the provider's declaration line amounts (signed) on the product in the period, euro
-- * peildatum: the as-of date the figures were computed with
with
actief as (
    select periode, aanbieder_agb, productcode, count(distinct client_sleutel) as clienten
    from stg_toewijzing_perioden
    group by periode, aanbieder_agb, productcode
),
declaraties as (
    select mp.periode, d.aanbieder_agb, d.productcode, sum(d.gedeclareerd) as gedeclareerd
    -- per month first, as in kpi_arrangement
    from (
        select maand, aanbieder_agb, productcode, sum(bedrag) as gedeclareerd
        from stg_declaratieregels
        group by maand, aanbieder_agb, productcode
    ) d
    join stg_maand_perioden mp on mp.maand = d.maand
    group by mp.periode, d.aanbieder_agb, d.productcode
)
select
    p.periode,
    p.periode_begin,
    p.periode_eind,
    coalesce(a.aanbieder_agb, d.aanbieder_agb) as aanbieder_agb,
    coalesce(a.productcode, d.productcode) as productcode,
    coalesce(a.clienten, 0) as clienten,
    cast(coalesce(d.gedeclareerd, 0) as decimal(18, 2)) as gedeclareerd,
    pd.peildatum
from actief a
full join declaraties d
    on d.periode = a.periode and d.aanbieder_agb = a.aanbieder_agb and d.productcode = a.productcode
join stg_perioden p on p.periode = coalesce(a.periode, d.periode)
cross join peildatum pd
