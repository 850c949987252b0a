-- @stored-during-compute
-- Each month of each period: the one place where a date is mapped to its periods
-- (by the first day of its month), so every fact lands in its quarter and its half-year
-- through an equality join.
-- * periode: 2019-Q3 or 2019-H2
-- * maand: first day of a month of the period
select periode, cast(maand as date) as maand
from (
    select periode, unnest(generate_series(periode_begin, periode_eind, interval '1 month')) as maand
    from stg_perioden
)
