-- An allocation whose start of care (WMO305) has not arrived `late_start_dagen` (default
-- 10) days after its start date: a *late start* (docs/indicators.md, "Signals"). What to
-- do: ask the provider whether care has begun; if it has, the start message is missing,
-- if not, the client is waiting.
-- Choices: only allocations that started in the 90 days before the peildatum count, so
-- the history the first allocation messages bring along raises nothing; an allocation
-- whose effective end came before the threshold passed is left out (it ended unstarted,
-- which the quarter's figures show).
-- * soort: late_start
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * onderwerp: the allocation number (ToewijzingNummer)
-- * waarde: days since the allocation's start date, on the peildatum
-- * drempel: late_start_dagen
select
    'late_start' as soort,
    t.aanbieder_agb,
    t.toewijzingnummer as onderwerp,
    cast(cast(pd.peildatum as bigint) - cast(t.ingangsdatum as bigint) as decimal(18, 2)) as waarde,
    cast(d.late_start_dagen as decimal(18, 2)) as drempel
from stg_toewijzingen_zorg t
cross join peildatum pd
cross join drempels d
where t.zorg_begindatum is null
    and cast(pd.peildatum as bigint) - cast(t.ingangsdatum as bigint) > d.late_start_dagen
    and cast(pd.peildatum as bigint) - cast(t.ingangsdatum as bigint) <= 90
    and (t.effectief_eind is null
        or cast(t.effectief_eind as bigint) - cast(t.ingangsdatum as bigint) > d.late_start_dagen)
