-- @stored-during-compute
-- Current allocations with their care start (resolved wmo305), care stop and end
-- reason (resolved wmo307), effective end and end-reason category (indicators.md,
-- "Building blocks").
-- Choice: a RedenBeeindiging outside the list of indicators.md is category `overig`
-- (not accountable).
-- * zorg_begindatum: Begindatum of the current wmo305; empty when care has not been reported started
-- * zorg_einddatum: Einddatum of the current wmo307; empty without a stop
-- * effectief_eind: the earliest of einddatum and zorg_einddatum; empty when both are
-- * eindcategorie: end-reason category of the stop's RedenBeeindiging; verlopen without a stop
select
    t.*,
    zorgstop.einddatum as zorg_einddatum,
    zorgstop.reden_beeindiging,
    case
        when t.einddatum is null then zorgstop.einddatum
        when zorgstop.einddatum is null then t.einddatum
        else least(t.einddatum, zorgstop.einddatum)
    end as effectief_eind,
    case
        when zorgstop.toewijzingnummer is null then 'verlopen'
        when zorgstop.reden_beeindiging = '19' then 'volgens_plan'
        when zorgstop.reden_beeindiging = '23' then 'voortijdig_in_overleg'
        when zorgstop.reden_beeindiging in ('21', '22') then 'uitval'
        when zorgstop.reden_beeindiging = '38' then 'overstap'
        when zorgstop.reden_beeindiging = '39' then 'ander_domein'
        when zorgstop.reden_beeindiging = '02' then 'overlijden'
        when zorgstop.reden_beeindiging = '31' then 'verhuizing'
        when zorgstop.reden_beeindiging = '20' then 'tijdelijk'
        when zorgstop.reden_beeindiging in ('36', '37') then 'gemeente'
        else 'overig'
    end as eindcategorie
-- the messages first: a hash join holds its first side in memory, and there are fewer
-- start or stop messages than allocations
from (select * from stg_zorgmeldingen where berichtsoort = 'wmo307') zorgstop
right join (
    select t.*, zorgstart.begindatum as zorg_begindatum
    from (select * from stg_zorgmeldingen where berichtsoort = 'wmo305') zorgstart
    right join stg_toewijzingen t
        on zorgstart.toewijzingnummer = t.toewijzingnummer and zorgstart.aanbieder_agb = t.aanbieder_agb
) t
    on zorgstop.toewijzingnummer = t.toewijzingnummer and zorgstop.aanbieder_agb = t.aanbieder_agb
