-- The providers side by side per period and figure of kpi_aanbieder: how many providers
-- have a value, and the median and quartiles of their values (indicators.md, "Performance
-- dialogue": peers only as median and quartiles). A view over the kept kpi_aanbieder.
-- Choices:
-- - the quartiles are interpolated between ranks as percentile_cont does (position
--   fraction x (providers - 1) from 0);
-- - every provider row of the period with a value counts, 0 included;
-- - a share or mean over respondents or evaluations counts only over at least 5 of them
--   (the pack does not show it under 5 either);
-- - whether a comparison is shown at all (at least 5 providers) is the pack's
--   disclosure rule, applied by publish.
-- * periode: 2019-Q3 or 2019-H2
-- * kolom: the kpi_aanbieder column
-- * aanbieders: providers with a value
-- * p25: the first quartile
-- * mediaan: the median
-- * p75: the third quartile
with
waarden as (
    -- one row per provider and figure, from one scan of kpi_aanbieder
    select periode, w['kolom'] as kolom, w['waarde'] as waarde
    from (
        select periode, unnest(make_array(
            named_struct('kolom', 'clienten', 'waarde', cast(clienten as decimal(38, 18))),
            named_struct('kolom', 'instroom', 'waarde', cast(instroom as decimal(38, 18))),
            named_struct('kolom', 'uitstroom', 'waarde', cast(uitstroom as decimal(38, 18))),
            named_struct('kolom', 'uitstroom_pct', 'waarde', cast(uitstroom_pct as decimal(38, 18))),
            named_struct('kolom', 'doorstroom_lichter', 'waarde', cast(doorstroom_lichter as decimal(38, 18))),
            named_struct('kolom', 'doorstroom_zwaarder', 'waarde', cast(doorstroom_zwaarder as decimal(38, 18))),
            named_struct('kolom', 'afschaling_pct', 'waarde', cast(afschaling_pct as decimal(38, 18))),
            named_struct('kolom', 'uitstroom_volgens_plan_pct', 'waarde', cast(uitstroom_volgens_plan_pct as decimal(38, 18))),
            named_struct('kolom', 'uitval_pct', 'waarde', cast(uitval_pct as decimal(38, 18))),
            named_struct('kolom', 'herhaald_beroep_pct', 'waarde', cast(herhaald_beroep_pct as decimal(38, 18))),
            named_struct('kolom', 'mediane_duur_dagen', 'waarde', cast(mediane_duur_dagen as decimal(38, 18))),
            named_struct('kolom', 'mediane_wachttijd_dagen', 'waarde', cast(mediane_wachttijd_dagen as decimal(38, 18))),
            named_struct('kolom', 'gedeclareerd', 'waarde', cast(gedeclareerd as decimal(38, 18))),
            named_struct('kolom', 'verwacht', 'waarde', cast(verwacht as decimal(38, 18))),
            named_struct('kolom', 'gedeclareerd_vs_verwacht_pct', 'waarde', cast(gedeclareerd_vs_verwacht_pct as decimal(38, 18))),
            named_struct('kolom', 'kosten_per_client_per_maand', 'waarde', cast(kosten_per_client_per_maand as decimal(38, 18))),
            named_struct('kolom', 'onrechtmatig_bedrag', 'waarde', cast(onrechtmatig_bedrag as decimal(38, 18))),
            named_struct('kolom', 'dubbel_bedrag', 'waarde', cast(dubbel_bedrag as decimal(38, 18))),
            named_struct('kolom', 'respondenten', 'waarde', cast(respondenten as decimal(38, 18))),
            named_struct('kolom', 'tevredenheid_pct', 'waarde', case when respondenten >= 5 then cast(tevredenheid_pct as decimal(38, 18)) end),
            named_struct('kolom', 'rapportcijfer_gem', 'waarde', case when respondenten >= 5 then cast(rapportcijfer_gem as decimal(38, 18)) end),
            named_struct('kolom', 'evaluaties_eind', 'waarde', cast(evaluaties_eind as decimal(38, 18))),
            named_struct('kolom', 'doelrealisatie_volledig_pct', 'waarde', case when evaluaties_eind >= 5 then cast(doelrealisatie_volledig_pct as decimal(38, 18)) end),
            named_struct('kolom', 'doelrealisatie_gedeeltelijk_pct', 'waarde', case when evaluaties_eind >= 5 then cast(doelrealisatie_gedeeltelijk_pct as decimal(38, 18)) end),
            named_struct('kolom', 'doelrealisatie_niet_pct', 'waarde', case when evaluaties_eind >= 5 then cast(doelrealisatie_niet_pct as decimal(38, 18)) end)
        )) as w
        from kpi_aanbieder
    )
),
gerangschikt as (
    select
        periode, kolom, waarde,
        row_number() over (partition by periode, kolom order by waarde) - 1 as rang,
        count(*) over (partition by periode, kolom) as aanbieders
    from waarden
    where waarde is not null
),
grenzen as (
    -- per quartile q (1-3): the rank below its position q x (n - 1) / 4, the rank above,
    -- and the fraction between them in quarters
    select
        periode, kolom, waarde, rang, aanbieders,
        (aanbieders - 1) / 4 as p25_onder, (aanbieders - 1) % 4 as p25_kwart,
        (2 * (aanbieders - 1)) / 4 as p50_onder, (2 * (aanbieders - 1)) % 4 as p50_kwart,
        (3 * (aanbieders - 1)) / 4 as p75_onder, (3 * (aanbieders - 1)) % 4 as p75_kwart
    from gerangschikt
),
per_figuur as (
    select
        periode, kolom,
        max(aanbieders) as aanbieders,
        max(case when rang = p25_onder then waarde end) as p25_a,
        max(case when rang = least(p25_onder + 1, aanbieders - 1) then waarde end) as p25_b,
        max(p25_kwart) as p25_kwart,
        max(case when rang = p50_onder then waarde end) as p50_a,
        max(case when rang = least(p50_onder + 1, aanbieders - 1) then waarde end) as p50_b,
        max(p50_kwart) as p50_kwart,
        max(case when rang = p75_onder then waarde end) as p75_a,
        max(case when rang = least(p75_onder + 1, aanbieders - 1) then waarde end) as p75_b,
        max(p75_kwart) as p75_kwart
    from grenzen
    group by periode, kolom
)
select
    periode,
    kolom,
    aanbieders,
    p25_a + (p25_b - p25_a) * p25_fractie as p25,
    p50_a + (p50_b - p50_a) * p50_fractie as mediaan,
    p75_a + (p75_b - p75_a) * p75_fractie as p75
from (
    select *,
        -- a quarter, exact: 0, 0.25, 0.5 or 0.75
        cast(p25_kwart * 25 as decimal(3, 0)) * cast(0.01 as decimal(3, 2)) as p25_fractie,
        cast(p50_kwart * 25 as decimal(3, 0)) * cast(0.01 as decimal(3, 2)) as p50_fractie,
        cast(p75_kwart * 25 as decimal(3, 0)) * cast(0.01 as decimal(3, 2)) as p75_fractie
    from per_figuur
)
