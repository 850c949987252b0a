-- A client's trajectory with one provider on which more than `dure_trajecten_bedrag`
-- (default EUR 25,000) has been declared: a *duur traject* (docs/indicators.md,
-- "Signals"), the extra check the municipality's risk table asks for. What to do:
-- review the trajectory with the provider and the neighbourhood team.
-- Choices: the effective declaration lines on the trajectory's allocations count (a
-- credit cancels its debit); the trajectory is named by its lowest allocation number,
-- never by the client.
-- * soort: dure_trajecten
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * onderwerp: the trajectory's lowest allocation number (ToewijzingNummer)
-- * waarde: euro declared on the trajectory
-- * drempel: dure_trajecten_bedrag, euro
with per_traject as (
    select
        l.aanbieder_agb,
        l.traject_id,
        min(l.toewijzingnummer) as eerste_toewijzing,
        sum(d.bedrag) as gedeclareerd
    from stg_traject_leden l
    join stg_declaratieregels d
        on d.toewijzingnummer = l.toewijzingnummer and d.aanbieder_agb = l.aanbieder_agb
    where l.niveau = 'aanbieder' and d.effectief
    group by l.aanbieder_agb, l.traject_id
)
select
    'dure_trajecten' as soort,
    t.aanbieder_agb,
    t.eerste_toewijzing as onderwerp,
    cast(t.gedeclareerd as decimal(18, 2)) as waarde,
    cast(d.dure_trajecten_bedrag as decimal(18, 2)) as drempel
from per_traject t
cross join drempels d
where t.gedeclareerd > d.dure_trajecten_bedrag
