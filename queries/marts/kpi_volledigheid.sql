-- @partition: periode
-- How complete the declarations behind a period's figures are, per provider and
-- Wmo-wide as provider `alle` (docs/indicators.md, "Completeness"): the months a
-- declaration was due, received or missing, the files refused whole and why, and the
-- lines quarantined. A pack whose provider is `onvolledig` says so first and draws no
-- point for the dialogue from the figures the missing input affects; the monitor marks
-- a period that is not `volledig` Wmo-wide as provisional (voorlopig).
-- Choices:
-- - `onvolledig`: a month of the period with active allocations has no declaration line
--   while it is due (45 days after its end) or a file for it was refused; else
--   `voorlopig` while a month with active allocations is not due and nothing for it
--   arrived yet; else `volledig`;
-- - quarantined lines of files that loaded in part are reported, not counted as missing:
--   one bad line should not make a provider's month incomplete;
-- - Wmo-wide, a month counts once per provider (ontvangen_pct is over provider-months).
-- * periode: 2019-Q3 or 2019-H2
-- * periode_begin, periode_eind: first and last day of the period
-- * aanbieder_agb: the provider, or alle
-- * maanden_verwacht: months of the period with active allocations whose declaration is due, or arrived (provider-months for alle)
-- * maanden_ontvangen: of them, months with declaration lines in the lake
-- * maanden_ontbrekend: of them, months without any
-- * ontbrekende_maanden: the missing months as 2019-12, comma-separated (empty for alle)
-- * maanden_nog_niet_verwacht: months with active allocations whose declaration is not due yet and has not arrived
-- * ontvangen_pct: 100 x maanden_ontvangen / maanden_verwacht
-- * bestanden_geweigerd: WMO323 files for months of the period refused whole
-- * weigerregels: the rules those files broke, comma-separated
-- * regels_geweigerd: lines quarantined from files for months of the period that loaded in part
-- * status: volledig, voorlopig or onvolledig
-- * peildatum: the as-of date the figures were computed with
with
per_maand as (
    select mp.periode, a.*
    from stg_aanleveringen a
    join stg_maand_perioden mp on mp.maand = a.maand
),
per_aanbieder as (
    select
        periode,
        aanbieder_agb,
        count(*) filter (where verwacht) as maanden_verwacht,
        count(*) filter (where verwacht and not ontbreekt) as maanden_ontvangen,
        count(*) filter (where ontbreekt) as maanden_ontbrekend,
        array_to_string(array_sort(array_agg(case when ontbreekt then to_char(maand, '%Y-%m') end)), ', ')
            as ontbrekende_maanden,
        count(*) filter (where toewijzingen_actief > 0 and not verwacht) as maanden_nog_niet_verwacht,
        sum(bestanden_geweigerd) as bestanden_geweigerd,
        nullif(array_to_string(array_sort(array_distinct(array_agg(weigerregels))), ', '), '') as weigerregels,
        sum(regels_geweigerd) as regels_geweigerd
    from per_maand
    group by periode, aanbieder_agb
),
alle as (
    select
        periode,
        'alle' as aanbieder_agb,
        sum(maanden_verwacht) as maanden_verwacht,
        sum(maanden_ontvangen) as maanden_ontvangen,
        sum(maanden_ontbrekend) as maanden_ontbrekend,
        cast(null as varchar) as ontbrekende_maanden,
        sum(maanden_nog_niet_verwacht) as maanden_nog_niet_verwacht,
        sum(bestanden_geweigerd) as bestanden_geweigerd,
        array_to_string(array_sort(array_distinct(array_agg(weigerregels))), ', ') as weigerregels,
        sum(regels_geweigerd) as regels_geweigerd
    from per_aanbieder
    group by periode
),
beide as (
    select * from per_aanbieder
    union all
    select * from alle
)
select
    p.periode,
    p.periode_begin,
    p.periode_eind,
    b.aanbieder_agb,
    b.maanden_verwacht,
    b.maanden_ontvangen,
    b.maanden_ontbrekend,
    nullif(b.ontbrekende_maanden, '') as ontbrekende_maanden,
    b.maanden_nog_niet_verwacht,
    100 * cast(b.maanden_ontvangen as decimal(38, 10)) / nullif(b.maanden_verwacht, 0) as ontvangen_pct,
    b.bestanden_geweigerd,
    nullif(b.weigerregels, '') as weigerregels,
    b.regels_geweigerd,
    case
        when b.maanden_ontbrekend > 0 then 'onvolledig'
        when b.maanden_nog_niet_verwacht > 0 then 'voorlopig'
        else 'volledig'
    end as status,
    pd.peildatum
from beide b
join stg_perioden p on p.periode = b.periode
cross join peildatum pd
