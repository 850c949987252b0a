-- Clients and spend per period and product, for each provider and Wmo-wide
-- (aanbieder_agb `alle`), with the product's description and model as the reports show
-- them. A view over the kept kpi_arrangement and kpi_aanbieder_arrangement.
-- Choice: Wmo-wide, a product nobody had and nothing was declared on (the old model
-- after the switch, say) has no row; a provider has a row for every product it had an
-- active allocation or a declaration line on.
-- * periode: 2019-Q3 or 2019-H2
-- * aanbieder_agb: the provider, or alle
-- * productcode: product code
-- * omschrijving: description
-- * model_getoond: DIAH, TO, or the model followed by `maatwerk` for an exception outside the model
-- * clienten: distinct clients with an allocation on the product active in the period (of the provider, or all)
-- * gedeclareerd: sum of declaration line amounts (signed) on the product in the period, euro
with producten as (
    select
        periode, productcode, omschrijving,
        case when maatwerk = 'ja' then concat(model, ' maatwerk') else model end as model_getoond,
        clienten, gedeclareerd
    from kpi_arrangement
)
select periode, 'alle' as aanbieder_agb, productcode, omschrijving, model_getoond, clienten, gedeclareerd
from producten
where clienten > 0 or gedeclareerd <> 0
union all
select
    a.periode, a.aanbieder_agb, a.productcode, p.omschrijving, p.model_getoond, a.clienten, a.gedeclareerd
from kpi_aanbieder_arrangement a
left join producten p on p.periode = a.periode and p.productcode = a.productcode
