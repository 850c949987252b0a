-- The current snapshot of begroting.csv: the budget and the three savings scenarios per year.
select jaar, begroting, besparing_behoudend, besparing_gemiddeld, besparing_optimaal
from begroting
where laad_id = (select max(laad_id) from begroting)
