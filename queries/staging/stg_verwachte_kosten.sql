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
with horizon as (
    select max(periode_eind) as laatste from stg_perioden
),
maanden as (
    select
        t.toewijzingnummer, t.aanbieder_agb, t.client_pseudoniem, t.productcode, t.ingangsdatum, t.effectief_eind,
        cast(unnest(generate_series(
            cast(date_trunc('month', t.ingangsdatum) as date),
            least(coalesce(t.effectief_eind, h.laatste), h.laatste),
            interval '1 month'
        )) as date) as maand
    from stg_toewijzingen_zorg t
    cross join horizon h
),
dagen as (
    select
        m.*,
        greatest(m.ingangsdatum, m.maand) as eerste_dag,
        least(coalesce(m.effectief_eind, date '9999-12-31'), cast(m.maand + interval '1 month' - interval '1 day' as date))
            as laatste_dag,
        cast(date_part('day', m.maand + interval '1 month' - interval '1 day') as bigint) as dagen_in_maand
    from maanden m
)
select
    d.toewijzingnummer, d.aanbieder_agb, d.client_pseudoniem, d.productcode, d.maand, d.eerste_dag, d.laatste_dag,
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
