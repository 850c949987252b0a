-- A provider whose declared amount in a year passes `budgetplafond_waarschuwing_pct`
-- (default 80%) of its ceiling in budgetplafonds.csv, or whose projection for the year
-- passes `budgetplafond_prognose_pct` (default 100%): the municipality's *fictief
-- budgetplafond* (docs/indicators.md, "Signals"). What to do: discuss with the provider
-- how it will stay within its ceiling (intake, intensity, moving clients on), and
-- decide in time whether the ceiling holds.
-- Choices:
-- - the amount counts as kpi_begroting counts the municipality's: every line whose
--   product period started in the year by the peildatum (a credit subtracts);
-- - the projection is the amount of the year's due months (45 days after their end) /
--   those months x 12: a provider that began or ended mid-year is not projected over
--   the months it had no clients, and a month still being declared does not count;
-- - the years watched are the peildatum's and the one before (whose late declarations
--   still arrive, and whose ceiling still decides what is paid); older years stay in the
--   figures only;
-- - the two tests are two signals of one provider and year: onderwerp `2019` when the
--   declared share passed, `2019 prognose` when the projection did, so each appears
--   and resolves on its own.
-- * soort: fictief_budgetplafond
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * onderwerp: the year, as 2019, or the year and `prognose`, as 2019 prognose
-- * waarde: the amount declared (or projected) as percent of the ceiling
-- * drempel: budgetplafond_waarschuwing_pct (or budgetplafond_prognose_pct), percent
with
per_maand as (
    select d.aanbieder_agb, d.maand, sum(d.bedrag) as bedrag
    from stg_declaratieregels d
    cross join peildatum pd
    where d.product_begin <= pd.peildatum
    group by d.aanbieder_agb, d.maand
),
-- every month of each watched ceiling's year, and whether it is due
maanden as (
    select aanbieder_agb, jaar, plafond, maand,
        maand + interval '1 month' + interval '44 days' <= pd.peildatum as vervallen
    from (
        select p.aanbieder_agb, p.jaar, p.plafond,
            cast(unnest(generate_series(make_date(p.jaar, 1, 1), make_date(p.jaar, 12, 1), interval '1 month')) as date)
                as maand
        from stg_budgetplafonds p
        cross join peildatum pd
        where p.plafond > 0
            and p.jaar between cast(date_part('year', pd.peildatum) as bigint) - 1
                and cast(date_part('year', pd.peildatum) as bigint)
    )
    cross join peildatum pd
),
open_jaren as (
    select m.aanbieder_agb, m.jaar, m.plafond,
        100 * cast(coalesce(sum(d.bedrag), 0) as decimal(38, 10)) / m.plafond as gedeclareerd_pct,
        100 * cast(coalesce(sum(d.bedrag) filter (where m.vervallen), 0) as decimal(38, 10)) * 12
            / nullif(count(*) filter (where m.vervallen), 0) / m.plafond as prognose_pct
    from maanden m
    left join per_maand d on d.aanbieder_agb = m.aanbieder_agb and d.maand = m.maand
    group by m.aanbieder_agb, m.jaar, m.plafond
)
select
    'fictief_budgetplafond' as soort,
    o.aanbieder_agb,
    cast(o.jaar as varchar) as onderwerp,
    cast(o.gedeclareerd_pct as decimal(18, 2)) as waarde,
    cast(d.budgetplafond_waarschuwing_pct as decimal(18, 2)) as drempel
from open_jaren o
cross join drempels d
where o.gedeclareerd_pct > d.budgetplafond_waarschuwing_pct
union all
select
    'fictief_budgetplafond' as soort,
    o.aanbieder_agb,
    cast(o.jaar as varchar) || ' prognose' as onderwerp,
    cast(o.prognose_pct as decimal(18, 2)) as waarde,
    cast(d.budgetplafond_prognose_pct as decimal(18, 2)) as drempel
from open_jaren o
cross join drempels d
where o.prognose_pct > d.budgetplafond_prognose_pct
