-- The current snapshot of aanbieders.csv: the rows of its latest load.
select agb as aanbieder_agb, naam, contract, contract_vanaf, contract_tot, contractmanager_email
from aanbieders
where laad_id = (select max(laad_id) from aanbieders)
