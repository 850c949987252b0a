-- The current snapshot of budgetplafonds.csv: each provider's budget ceiling (fictief
-- budgetplafond) per year, which the signal of the same name compares its spend with.
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * jaar: year
-- * plafond: the provider's ceiling for the year, euro
select aanbieder_agb, jaar, plafond
from budgetplafonds
where laad_id = (select max(laad_id) from budgetplafonds)
