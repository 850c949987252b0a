-- @stored-during-compute
-- Goal evaluations dated on or before the peildatum, with the period month and the
-- evaluated allocation's product model (for the movement to voorliggend, b3).
-- * maand: first day of the month of evaluatiedatum
-- * model: model of the evaluated allocation's product (DIAH or TO); empty when the allocation is unknown
select
    e.toewijzingnummer,
    e.aanbieder_agb,
    e.client_pseudoniem,
    e.evaluatiedatum,
    cast(date_trunc('month', e.evaluatiedatum) as date) as maand,
    e.soort,
    e.doelrealisatie,
    e.vervolg,
    pr.model
from evaluaties e
left join stg_toewijzingen t on t.toewijzingnummer = e.toewijzingnummer
left join stg_producten pr on pr.productcode = t.productcode
where e.evaluatiedatum <= (select peildatum from peildatum)
