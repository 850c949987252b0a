-- @stored-during-compute
-- The current snapshot of inwoners.csv: residents on 1 January per year and stadsdeel.
select jaar, stadsdeel, inwoners
from inwoners
where laad_id = (select max(laad_id) from inwoners)
