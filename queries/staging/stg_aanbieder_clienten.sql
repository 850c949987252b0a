-- @stored-during-compute
-- Distinct clients per period and provider with an allocation of the provider active
-- in the period (indicators.md, kpi_aanbieder clienten and clienten_begin). kpi_aanbieder
-- shows them and kpi_wmo counts providers by them (concentration, providers without
-- clients), so they are counted once here: a distinct count over every active
-- allocation-period is among the costliest steps at national scale.
-- * periode: 2019-Q3 or 2019-H2
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * clienten: distinct clients with an allocation of the provider active in the period
-- * clienten_begin: distinct clients with an allocation of the provider active on periode_begin
select
    periode,
    aanbieder_agb,
    count(distinct client_sleutel) as clienten,
    count(distinct case when actief_op_begin then client_sleutel end) as clienten_begin
from stg_toewijzing_perioden
group by periode, aanbieder_agb
