-- A provider with active allocations that has sent no accepted declaration for the
-- last `stille_aanbieder_maanden` (default 2) due months in a row: a *stille aanbieder*
-- (docs/indicators.md, "Signals"). What to do: ask the provider whether its
-- declarations are stuck, and whether care is still delivered.
-- Choices: the months are the latest due months with active allocations (stg_aanleveringen,
-- `verwacht`); a month whose file was refused counts as missing, as it is.
-- * soort: stille_aanbieder
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * onderwerp: the first month of the run of missing months, as 2019-10: it stays the
--   same while the run grows, so the signal is one signal until the provider declares
-- * waarde: due months in a row without an accepted declaration, counted back from the latest
-- * drempel: stille_aanbieder_maanden (every signal's waarde and drempel are decimal(18,2), so the kinds add up in one table)
with
verwacht as (
    select
        aanbieder_agb, maand, ontbreekt,
        row_number() over (partition by aanbieder_agb order by maand desc) as terug
    from stg_aanleveringen
    where verwacht
),
reeks as (
    -- the latest months in a row that are missing: up to the first month that is not
    select aanbieder_agb,
        count(*) as maanden,
        min(maand) as eerste
    from verwacht v
    where ontbreekt
        and not exists (
            select 1 from verwacht w
            where w.aanbieder_agb = v.aanbieder_agb and w.terug < v.terug and not w.ontbreekt
        )
    group by aanbieder_agb
)
select
    'stille_aanbieder' as soort,
    r.aanbieder_agb,
    to_char(r.eerste, '%Y-%m') as onderwerp,
    cast(r.maanden as decimal(18, 2)) as waarde,
    cast(d.stille_aanbieder_maanden as decimal(18, 2)) as drempel
from reeks r
cross join drempels d
where r.maanden >= d.stille_aanbieder_maanden
