-- The expected cost of every current allocation in every month it is active
-- (indicators.md, "Expected cost"): the product's monthly tariff valid on the first
-- day it is active in the month, times the days it is active / the days of the month.
--
-- Exactness: the days-fraction has denominator 28, 29, 30 or 31. All four divide
-- 377580 (the least common multiple), so `verwacht_teller` = tariff x active days x
-- (377580 / days in month) is an exact amount, and the sum of any set of them divided
-- by 377580 once is the exact expected cost; the marts round that to cents once.
-- * maand: first day of the month
-- * eerste_dag, laatste_dag: the first and last day the allocation is active in the month
-- * dagen_actief: days active in the month
-- * dagen_in_maand: days of the month
-- * tarief_per_maand: the product's monthly tariff valid on eerste_dag; empty for a product not in producten.csv
-- * verwacht_teller: tarief_per_maand x dagen_actief x (377580 / dagen_in_maand), in euro; divide a sum by 377580
-- Choice: months before the first period are left out; no figure reads them.
-- Speed: a month's last day and length come from a small calendar of the periods'
-- months instead of date arithmetic on each of tens of millions of rows.
with grenzen as (
    select min(periode_begin) as eerste, max(periode_eind) as laatste from stg_perioden
),
maanden as (
    select
        t.toewijzingnummer, t.aanbieder_agb, t.client_sleutel, t.productcode, t.ingangsdatum, t.effectief_eind,
        cast(unnest(generate_series(
            greatest(cast(date_trunc('month', t.ingangsdatum) as date), g.eerste),
            least(coalesce(t.effectief_eind, g.laatste), g.laatste),
            interval '1 month'
        )) as date) as maand
    from stg_toewijzingen_zorg t
    cross join grenzen g
),
kalender as (
    select maand, maand_eind, cast(date_part('day', maand_eind) as bigint) as dagen_in_maand
    from (
        select distinct maand, cast(maand + interval '1 month' - interval '1 day' as date) as maand_eind
        from stg_maand_perioden
    )
),
dagen as (
    select
        m.*,
        greatest(m.ingangsdatum, m.maand) as eerste_dag,
        least(coalesce(m.effectief_eind, date '9999-12-31'), k.maand_eind) as laatste_dag,
        k.dagen_in_maand
    -- the calendar (small) first: a hash join holds its first side in memory
    from kalender k
    join maanden m on m.maand = k.maand
)
select
    d.toewijzingnummer, d.aanbieder_agb, d.client_sleutel, d.productcode, d.maand, d.eerste_dag, d.laatste_dag,
    cast(d.laatste_dag as bigint) - cast(d.eerste_dag as bigint) + 1 as dagen_actief,
    d.dagen_in_maand,
    t.tarief_per_maand,
    cast(t.tarief_per_maand as decimal(38, 2))
        * (cast(d.laatste_dag as bigint) - cast(d.eerste_dag as bigint) + 1)
        * (377580 / d.dagen_in_maand) as verwacht_teller
-- the tariffs (few) first: a hash join holds its first side in memory
from stg_producttarieven t
right join dagen d
    on t.productcode = d.productcode
    and d.eerste_dag between t.tarief_van and t.tarief_tot
where d.laatste_dag >= d.eerste_dag
