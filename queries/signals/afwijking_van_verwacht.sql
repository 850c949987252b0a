-- A provider whose declared amount for a month lies more than `afwijking_van_verwacht_pct`
-- (default 10%) above or below the expected cost of its allocations in that month
-- (stg_verwachte_kosten): an *afwijking van verwacht* (docs/indicators.md, "Signals").
-- What to do: ask the provider to explain the difference: declarations missing or sent
-- twice, allocations ended without a stop message, or care delivered outside them.
-- Choices:
-- - the months watched are those due (45 days after their end) in the 90 days before the
--   peildatum: about the last three; a month is judged once its declarations are due;
-- - a month without any loaded line is left out: stille_aanbieder or
--   geweigerde_aanlevering already says it;
-- - declared counts every line of the month (a credit subtracts), as kpi_aanbieder's
--   gedeclareerd_vs_verwacht does; expected is rounded to cents once.
-- * soort: afwijking_van_verwacht
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * onderwerp: the month, as 2019-12
-- * waarde: declared as percent of expected, minus 100 (negative: below expected)
-- * drempel: afwijking_van_verwacht_pct
with
maanden as (
    select aanbieder_agb, maand
    from stg_aanleveringen a
    cross join peildatum pd
    where a.regels_geladen > 0
        and a.vervaldatum <= pd.peildatum
        and a.vervaldatum > pd.peildatum - interval '90 days'
),
verwacht as (
    select v.aanbieder_agb, v.maand, cast(sum(v.verwacht_teller) / 377580 as decimal(18, 2)) as verwacht
    from stg_verwachte_kosten v
    join maanden m on m.aanbieder_agb = v.aanbieder_agb and m.maand = v.maand
    group by v.aanbieder_agb, v.maand
),
gedeclareerd as (
    select d.aanbieder_agb, d.maand, sum(d.bedrag) as gedeclareerd
    from stg_declaratieregels d
    join maanden m on m.aanbieder_agb = d.aanbieder_agb and m.maand = d.maand
    group by d.aanbieder_agb, d.maand
),
afwijking as (
    select g.aanbieder_agb, g.maand,
        100 * cast(g.gedeclareerd as decimal(38, 10)) / v.verwacht - 100 as afwijking_pct
    from gedeclareerd g
    join verwacht v on v.aanbieder_agb = g.aanbieder_agb and v.maand = g.maand
    where v.verwacht > 0
)
select
    'afwijking_van_verwacht' as soort,
    a.aanbieder_agb,
    to_char(a.maand, '%Y-%m') as onderwerp,
    cast(a.afwijking_pct as decimal(18, 2)) as waarde,
    cast(d.afwijking_van_verwacht_pct as decimal(18, 2)) as drempel
from afwijking a
cross join drempels d
where abs(a.afwijking_pct) > d.afwijking_van_verwacht_pct
