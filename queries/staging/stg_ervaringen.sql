-- @stored-during-compute
-- Survey answers filled in on or before the peildatum, with the period month.
-- Answers outside 1-5 (9 is "weet niet") count as missing; ingest already stores 9 as empty.
-- * maand: first day of the month datum_ingevuld falls in
select
    respondent_id,
    aanbieder_agb,
    client_pseudoniem,
    datum_ingevuld,
    cast(date_trunc('month', datum_ingevuld) as date) as maand,
    case when v01 between 1 and 5 then v01 end as v01,
    case when v02 between 1 and 5 then v02 end as v02,
    case when v03 between 1 and 5 then v03 end as v03,
    case when v04 between 1 and 5 then v04 end as v04,
    case when v05 between 1 and 5 then v05 end as v05,
    case when v06 between 1 and 5 then v06 end as v06,
    case when v07 between 1 and 5 then v07 end as v07,
    case when v08 between 1 and 5 then v08 end as v08,
    rapportcijfer
from ervaringen e
where e.datum_ingevuld <= (select peildatum from peildatum)
