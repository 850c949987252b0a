-- @stored-during-compute
-- Trajectories (indicators.md, "Trajectory"), per provider (niveau `aanbieder`) and
-- Wmo-wide (niveau `wmo`, aanbieder_agb `alle`): start, end, duration and end reason.
-- The end reason is the closing allocation's RedenBeeindiging; `verlopen` when it has
-- no stop message. A trajectory with an open member has no end and no end reason.
-- * niveau: aanbieder or wmo
-- * traject_nr: number of the trajectory within the client and provider (or Wmo-wide)
-- * begindatum: ingangsdatum of its first allocation
-- * einddatum: the latest effective end of its allocations; empty if any is open
-- * begin_maand, eind_maand: first day of the month of begindatum and of einddatum
-- * duur_dagen: einddatum - begindatum + 1; empty while open
-- * toewijzingen: number of allocations in it
-- * sluitende_toewijzing: toewijzingnummer of the closing allocation
-- * sluitende_aanbieder: provider of the closing allocation
-- * eindcategorie: end-reason category (volgens_plan, voortijdig_in_overleg, uitval, overstap, ander_domein, overlijden, verhuizing, tijdelijk, gemeente, overig, verlopen); empty while open
-- * aanbieder_verantwoordelijk: the provider is accountable for this end (volgens_plan, voortijdig_in_overleg, uitval, verlopen); empty while open
with samengevat as (
    select
        niveau,
        groep,
        client_sleutel,
        traject_nr,
        traject_id,
        min(ingangsdatum) as begindatum,
        case when count(effectief_eind) = count(*) then max(effectief_eind) end as einddatum,
        count(*) as toewijzingen,
        -- the closing allocation: latest effective end (open counts as latest), then highest number
        first_value(toewijzingnummer order by coalesce(effectief_eind, date '9999-12-31') desc, toewijzingnummer desc)
            as sluitende_toewijzing,
        first_value(aanbieder_agb order by coalesce(effectief_eind, date '9999-12-31') desc, toewijzingnummer desc)
            as sluitende_aanbieder,
        first_value(reden_beeindiging order by coalesce(effectief_eind, date '9999-12-31') desc, toewijzingnummer desc)
            as reden_beeindiging,
        first_value(eindcategorie order by coalesce(effectief_eind, date '9999-12-31') desc, toewijzingnummer desc)
            as eindcategorie
    from stg_traject_leden
    group by traject_id, niveau, groep, client_sleutel, traject_nr
)
select
    niveau,
    groep as aanbieder_agb,
    client_sleutel,
    traject_nr,
    traject_id,
    begindatum,
    einddatum,
    cast(date_trunc('month', begindatum) as date) as begin_maand,
    cast(date_trunc('month', einddatum) as date) as eind_maand,
    cast(einddatum as bigint) - cast(begindatum as bigint) + 1 as duur_dagen,
    toewijzingen,
    sluitende_toewijzing,
    sluitende_aanbieder,
    reden_beeindiging,
    case when einddatum is not null then eindcategorie end as eindcategorie,
    case when einddatum is not null then
        eindcategorie in ('volgens_plan', 'voortijdig_in_overleg', 'uitval', 'verlopen')
    end as aanbieder_verantwoordelijk
from samengevat
