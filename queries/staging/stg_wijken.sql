-- @stored-during-compute
-- The current snapshot of wijken.csv: 4-digit postcode to wijk and stadsdeel.
select postcode4, wijk, stadsdeel
from wijken
where laad_id = (select max(laad_id) from wijken)
