-- @stored-during-compute
-- Declarations per provider and month (docs/indicators.md, "Completeness"): the
-- allocations it had active in the month, whether the month is due yet, the WMO323
-- files that arrived for it and what became of them, and the lines that loaded.
-- A month is due on the 45th day after its last day (the declaration lag the quarterly
-- schedule waits); before that a declaration is expected only once something for the
-- month arrived: a month whose only file was refused is missing even before it is due.
-- Choices:
-- - a file counts for the month its DeclaratiePeriode names, and as of its Dagtekening;
--   a file of the same content sent twice counts once (the second is `dubbel`);
-- - lines count for the month of their product period (which lies in the declared month),
--   credits included, so a month with only a credit still counts as received;
-- - quarantined lines are those of files that loaded in part; a file refused whole is
--   counted under bestanden_geweigerd with its rules instead.
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * maand: first day of the month
-- * toewijzingen_actief: the provider's allocations active on a day of the month
-- * vervaldatum: the day the month's declaration falls due, the 45th after the month's end (the signals watch months by it)
-- * verwacht: the provider had active allocations in the month, and the month is due on the peildatum or a file or line for it arrived
-- * bestanden: WMO323 files for the month dated on or before the peildatum (not counting a second copy of one)
-- * bestanden_geweigerd: of them, refused whole
-- * weigerregels: the rules the refused files broke, comma-separated
-- * regels_geladen: declaration lines of the provider for the month in the lake
-- * regels_geweigerd: lines quarantined from files for the month that loaded in part
-- * ontbreekt: the month is verwacht and no line for it loaded (a refused file alone does not count)
with
-- The allocations active per provider and month, without a row per allocation and
-- month (25 million at national scale): each allocation adds 1 from its first month and
-- takes it off after its last, and the running sum per provider is the count. An
-- allocation number with more than one row (listed twice in a message, which ingest
-- does not refuse yet) counts its distinct months, so it still counts once a month.
grenzen as (
    select
        t.aanbieder_agb,
        t.toewijzingnummer,
        cast(date_trunc('month', t.ingangsdatum) as date) as eerste,
        cast(date_trunc('month', least(coalesce(t.effectief_eind, pd.peildatum), pd.peildatum)) as date) as laatste
    from stg_toewijzingen_zorg t
    cross join peildatum pd
    where t.ingangsdatum <= pd.peildatum
),
per_toewijzing as (
    select aanbieder_agb, toewijzingnummer, count(*) as rijen, min(eerste) as eerste, max(laatste) as laatste
    from grenzen
    where laatste >= eerste
    group by aanbieder_agb, toewijzingnummer
),
meervoudig as (
    select distinct aanbieder_agb, toewijzingnummer, maand
    from (
        select
            g.aanbieder_agb,
            g.toewijzingnummer,
            unnest(generate_series(g.eerste, g.laatste, interval '1 month')) as maand
        from (select aanbieder_agb, toewijzingnummer from per_toewijzing where rijen > 1) m
        join grenzen g on g.aanbieder_agb = m.aanbieder_agb and g.toewijzingnummer = m.toewijzingnummer
        where g.laatste >= g.eerste
    )
),
-- the months each allocation is active in, as spans: one per allocation, or one per
-- distinct month of a number with more than one row
spannen as (
    select aanbieder_agb, eerste, laatste from per_toewijzing where rijen = 1
    union all
    select aanbieder_agb, maand as eerste, maand as laatste from meervoudig
),
wijzigingen as (
    select aanbieder_agb, wijziging['maand'] as maand, sum(wijziging['delta']) as delta
    from (
        select
            aanbieder_agb,
            unnest([
                named_struct('maand', eerste, 'delta', 1),
                named_struct('maand', cast(laatste + interval '1 month' as date), 'delta', -1)
            ]) as wijziging
        from spannen
    )
    group by aanbieder_agb, wijziging['maand']
),
-- the count holds from a month with a change until the next one; the last change of a
-- provider brings it to 0
stand as (
    select
        aanbieder_agb,
        maand,
        sum(delta) over (partition by aanbieder_agb order by maand) as toewijzingen_actief,
        lead(maand) over (partition by aanbieder_agb order by maand) as volgende
    from wijzigingen
),
actief as (
    select aanbieder_agb, maand, toewijzingen_actief
    from (
        select
            aanbieder_agb,
            toewijzingen_actief,
            unnest(generate_series(maand, cast(volgende - interval '1 month' as date), interval '1 month')) as maand
        from stand
        where toewijzingen_actief > 0 and volgende is not null
    )
),
bestanden as (
    select
        l.aanbieder_agb,
        l.declaratie_maand as maand,
        count(*) as bestanden,
        count(*) filter (where l.uitkomst = 'geweigerd') as bestanden_geweigerd
    from laadlog l
    cross join peildatum pd
    where l.soort = 'wmo323' and l.declaratie_maand is not null and l.uitkomst <> 'dubbel'
        and l.dagtekening <= pd.peildatum
    group by l.aanbieder_agb, l.declaratie_maand
),
geweigerd as (
    select
        l.aanbieder_agb,
        l.declaratie_maand as maand,
        array_to_string(array_sort(array_distinct(array_agg(case when l.uitkomst = 'geweigerd' then q.regel end))), ', ')
            as weigerregels,
        count(*) filter (where l.uitkomst = 'gedeeltelijk') as regels_geweigerd
    from laadlog l
    join quarantaine q on q.laad_id = l.laad_id and q.bestand_hash = l.bestand_hash
    cross join peildatum pd
    where l.soort = 'wmo323' and l.declaratie_maand is not null and l.dagtekening <= pd.peildatum
    group by l.aanbieder_agb, l.declaratie_maand
),
geladen as (
    select aanbieder_agb, maand, count(*) as regels_geladen
    from stg_declaratieregels
    group by aanbieder_agb, maand
),
sleutels as (
    select aanbieder_agb, maand from actief
    union
    select aanbieder_agb, maand from bestanden
),
per_maand as (
    select
        s.aanbieder_agb,
        s.maand,
        coalesce(a.toewijzingen_actief, 0) as toewijzingen_actief,
        -- due on the 45th day after the month's last day
        cast(s.maand + interval '1 month' + interval '44 days' as date) as vervaldatum,
        coalesce(b.bestanden, 0) as bestanden,
        coalesce(b.bestanden_geweigerd, 0) as bestanden_geweigerd,
        nullif(g.weigerregels, '') as weigerregels,
        coalesce(r.regels_geladen, 0) as regels_geladen,
        coalesce(g.regels_geweigerd, 0) as regels_geweigerd
    from sleutels s
    left join actief a on a.aanbieder_agb = s.aanbieder_agb and a.maand = s.maand
    left join bestanden b on b.aanbieder_agb = s.aanbieder_agb and b.maand = s.maand
    left join geweigerd g on g.aanbieder_agb = s.aanbieder_agb and g.maand = s.maand
    left join geladen r on r.aanbieder_agb = s.aanbieder_agb and r.maand = s.maand
)
select
    aanbieder_agb,
    maand,
    toewijzingen_actief,
    vervaldatum,
    toewijzingen_actief > 0 and (vervaldatum <= pd.peildatum or bestanden > 0 or regels_geladen > 0) as verwacht,
    bestanden,
    bestanden_geweigerd,
    weigerregels,
    regels_geladen,
    regels_geweigerd,
    toewijzingen_actief > 0 and (vervaldatum <= pd.peildatum or bestanden > 0) and regels_geladen = 0 as ontbreekt
from per_maand
cross join peildatum pd
