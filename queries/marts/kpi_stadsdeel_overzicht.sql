-- Clients per period and stadsdeel, with the clients of each CBS group beside them: the
-- council's district table, one row per stadsdeel (indicators.md, kpi_stadsdeel). A view
-- over the kept kpi_stadsdeel. The rates per 1,000 residents are not here: the council
-- sees them computed from rounded counts (publish's disclosure control), so this view
-- gives the counts they are computed from.
-- * periode: 2019-Q3 or 2019-H2
-- * stadsdeel: district, or onbekend
-- * inwoners: residents of the stadsdeel on 1 January of the period's year
-- * clienten: distinct clients with any allocation active in the period
-- * clienten_hbh: of them, with hulp bij het huishouden
-- * clienten_ondersteuning_thuis: of them, with ondersteuning thuis
-- * clienten_hulpmiddelen: of them, with hulpmiddelen en diensten
-- * clienten_verblijf: of them, with verblijf en opvang
select
    periode,
    stadsdeel,
    max(case when cbs_groep = 'totaal' then inwoners end) as inwoners,
    max(case when cbs_groep = 'totaal' then clienten end) as clienten,
    max(case when cbs_groep = 'hulp bij het huishouden' then clienten end) as clienten_hbh,
    max(case when cbs_groep = 'ondersteuning thuis' then clienten end) as clienten_ondersteuning_thuis,
    max(case when cbs_groep = 'hulpmiddelen en diensten' then clienten end) as clienten_hulpmiddelen,
    max(case when cbs_groep = 'verblijf en opvang' then clienten end) as clienten_verblijf
from kpi_stadsdeel
group by periode, stadsdeel
