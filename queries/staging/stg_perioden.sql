-- @stored-during-compute
-- The periods: every calendar quarter (2019-Q3) and half-year (2019-H2, the CBS
-- rhythm) from the first one with data up to the one holding the peildatum.
-- Choice: the data start with the earliest declaration line's product period, as
-- spend, the lawfulness of declarations and expected cost only make sense from there;
-- allocations older than that are history the first 301s brought along. Without any
-- declaration line (a new deployment), the earliest allocation, survey answer or
-- evaluation starts them.
-- * soort: kwartaal or halfjaar
-- * maanden: months in the period (3 or 6)
-- * afgesloten: the period ended on or before the peildatum; `compute --all` materialises the afgesloten periods, a running one only when asked by name
-- * periode: 2019-Q3 (quarter) or 2019-H2 (half-year)
-- * periode_begin, periode_eind: first and last day of the period
with grenzen as (
    select
        coalesce(
            (select min(product_begin) from stg_declaratieregels),
            (select min(eerste) from (
                select min(ingangsdatum) as eerste from stg_toewijzingen
                union all select min(datum_ingevuld) from stg_ervaringen
                union all select min(evaluatiedatum) from stg_evaluaties
            ))
        ) as eerste,
        max(p.peildatum) as laatste
    from peildatum p
),
kwartalen as (
    select unnest(generate_series(
        cast(date_trunc('quarter', eerste) as date), laatste, interval '3 months'
    )) as periode_begin
    from grenzen
),
halfjaren as (
    select unnest(generate_series(
        make_date(date_part('year', eerste), case when date_part('month', eerste) <= 6 then 1 else 7 end, 1), laatste, interval '6 months'
    )) as periode_begin
    from grenzen
),
beide as (
    select
        concat(cast(date_part('year', periode_begin) as varchar), '-Q', cast(date_part('quarter', periode_begin) as varchar)) as periode,
        'kwartaal' as soort,
        cast(periode_begin as date) as periode_begin,
        cast(periode_begin + interval '3 months' - interval '1 day' as date) as periode_eind,
        3 as maanden
    from kwartalen
    union all
    select
        concat(cast(date_part('year', periode_begin) as varchar), '-H', case when date_part('month', periode_begin) = 1 then '1' else '2' end),
        'halfjaar',
        cast(periode_begin as date),
        cast(periode_begin + interval '6 months' - interval '1 day' as date),
        6
    from halfjaren
)
select b.*, b.periode_eind <= p.peildatum as afgesloten
from beide b
cross join peildatum p
