-- A provider's declaration for a month that was refused whole and not replaced by one
-- that loaded, or of which more than `geweigerde_aanlevering_regels_pct` (default 5%)
-- of the lines were quarantined: a *geweigerde aanlevering* (docs/indicators.md,
-- "Signals"). What to do: tell the provider which rule the file or lines broke (the
-- quarantine says) and ask for a corrected declaration.
-- Choices: a month counts as refused while no line for it loaded; the share is over the
-- lines of the month that loaded and that were quarantined from files that loaded in part;
-- the months watched are those not yet due or due (45 days after their end) in the 90
-- days before the peildatum, as for afwijking_van_verwacht: older history raises nothing.
-- * soort: geweigerde_aanlevering
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * onderwerp: the month, as 2019-12
-- * waarde: the share of the month's lines refused, percent (100 for a month refused whole)
-- * drempel: geweigerde_aanlevering_regels_pct
select
    'geweigerde_aanlevering' as soort,
    a.aanbieder_agb,
    to_char(a.maand, '%Y-%m') as onderwerp,
    cast(case
        when a.regels_geladen = 0 then 100
        else 100 * cast(a.regels_geweigerd as decimal(38, 10)) / (a.regels_geladen + a.regels_geweigerd)
    end as decimal(18, 2)) as waarde,
    cast(d.geweigerde_aanlevering_regels_pct as decimal(18, 2)) as drempel
from stg_aanleveringen a
cross join drempels d
cross join peildatum pd
where a.vervaldatum > pd.peildatum - interval '90 days'
    and ((a.bestanden_geweigerd > 0 and a.regels_geladen = 0)
    or (a.regels_geweigerd > 0
        and 100 * a.regels_geweigerd > d.geweigerde_aanlevering_regels_pct * (a.regels_geladen + a.regels_geweigerd)))
