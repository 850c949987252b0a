-- @partition: periode
-- One row per period and provider: the performance-dialogue figures (indicators.md,
-- kpi_aanbieder). A provider has a row when it has an allocation active in the
-- period, or a declaration line, survey row or evaluation in it.
--
-- Percentages are exact decimals (100 x count / count, never floating point) and empty
-- when their denominator is 0; medians of an even count are the mean of the middle two.
-- Choices where indicators.md leaves room:
-- - gedeclareerd sums every line of the period, debit and credit (signed), so a
--   credit and the debit it cancels net to 0;
-- - kosten_per_client_per_maand is not rounded (it is a rate, like a percentage);
-- - herhaald_beroep_pct looks for an allocation starting 1 to 180 days after the end;
-- - uitstroom_pct and the end shares count trajectories ending in the period, whatever
--   their category.
-- * periode: 2019-Q3 or 2019-H2
-- * periode_begin, periode_eind: first and last day of the period
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * clienten: distinct clients with an allocation of the provider active in the period
-- * clienten_begin: distinct clients with an allocation of the provider active on periode_begin
-- * instroom: trajectories with the provider starting in the period
-- * uitstroom: trajectories with the provider ending in the period
-- * uitstroom_pct: 100 x uitstroom / clienten
-- * doorstroom_lichter: transitions in the period to a product with a lower monthly tariff
-- * doorstroom_zwaarder: transitions in the period to a product with a higher monthly tariff
-- * doorstroom_gelijk: transitions in the period to another product with the same tariff
-- * omklap: transitions in the period from one model to the other (DIAH to TO)
-- * afschaling_pct: 100 x lichter / (lichter + zwaarder + gelijk)
-- * uitstroom_volgens_plan_pct: 100 x ends volgens plan / ends the provider is accountable for, in the period
-- * uitval_pct: 100 x ends by uitval / ends the provider is accountable for, in the period
-- * herhaald_beroep_pct: of trajectories ended volgens plan in the period, 100 x share whose client starts any allocation within 180 days; empty until 180 days after periode_eind have passed on the peildatum
-- * mediane_duur_dagen: median days (end - start + 1) of trajectories ending in the period
-- * mediane_wachttijd_dagen: median days from toewijzingsdatum to the start of care, over allocations whose care started in the period
-- * gedeclareerd: sum of the provider's declaration line amounts (signed) in the period, euro
-- * verwacht: expected cost of the provider's allocations in the period, euro
-- * gedeclareerd_vs_verwacht_pct: 100 x gedeclareerd / verwacht
-- * kosten_per_client_per_maand: gedeclareerd / clienten / months in the period, euro
-- * onrechtmatig_bedrag: amount of effective lines in the period that are onrechtmatig, euro
-- * onrechtmatig_regels: number of effective lines in the period that are onrechtmatig
-- * dubbel_bedrag: amount of effective lines in the period that are dubbel, euro
-- * dubbel_regels: number of effective lines in the period that are dubbel
-- * respondenten: survey rows about the provider filled in during the period
-- * tevredenheid_pct: 100 x share of v05 answers 4 or 5 among v05 answers 1-5
-- * rapportcijfer_gem: mean grade
-- * evaluaties_eind: final (eind) evaluations of the provider's allocations in the period
-- * doelrealisatie_volledig_pct: 100 x share of evaluaties_eind with goals met fully
-- * doelrealisatie_gedeeltelijk_pct: 100 x share of evaluaties_eind with goals met partly
-- * doelrealisatie_niet_pct: 100 x share of evaluaties_eind with goals not met
-- * peildatum: the as-of date the figures were computed with
with
gestart as (
    select mp.periode, t.aanbieder_agb, count(*) as instroom
    from stg_trajecten t
    join stg_maand_perioden mp on mp.maand = t.begin_maand
    where t.niveau = 'aanbieder'
    group by mp.periode, t.aanbieder_agb
),
geeindigd as (
    select
        mp.periode,
        t.aanbieder_agb,
        count(*) as uitstroom,
        count(*) filter (where t.aanbieder_verantwoordelijk) as verantwoordelijk,
        count(*) filter (where t.eindcategorie = 'volgens_plan') as volgens_plan,
        count(*) filter (where t.eindcategorie = 'uitval') as uitval,
        median(cast(t.duur_dagen as decimal(12, 1))) as mediane_duur_dagen
    from stg_trajecten t
    join stg_maand_perioden mp on mp.maand = t.eind_maand
    where t.niveau = 'aanbieder'
    group by mp.periode, t.aanbieder_agb
),
teruggekomen as (
    -- trajectories ended volgens plan whose client starts any allocation within 180 days
    select distinct t.aanbieder_agb, t.client_sleutel, t.traject_nr
    from stg_trajecten t
    join stg_toewijzingen later
        on later.client_sleutel = t.client_sleutel
        and later.ingangsdatum > t.einddatum
        and later.ingangsdatum <= t.einddatum + interval '180 days'
    where t.niveau = 'aanbieder' and t.eindcategorie = 'volgens_plan'
),
herhaald as (
    select
        mp.periode,
        t.aanbieder_agb,
        count(*) as volgens_plan,
        count(r.client_sleutel) as teruggekomen
    from stg_trajecten t
    join stg_maand_perioden mp on mp.maand = t.eind_maand
    left join teruggekomen r
        on r.aanbieder_agb = t.aanbieder_agb
        and r.client_sleutel = t.client_sleutel
        and r.traject_nr = t.traject_nr
    where t.niveau = 'aanbieder' and t.eindcategorie = 'volgens_plan'
    group by mp.periode, t.aanbieder_agb
),
wachttijd as (
    select
        mp.periode,
        t.aanbieder_agb,
        median(cast(cast(t.zorg_begindatum as bigint) - cast(t.toewijzingsdatum as bigint) as decimal(12, 1)))
            as mediane_wachttijd_dagen
    from stg_toewijzingen_zorg t
    join stg_maand_perioden mp on mp.maand = cast(date_trunc('month', t.zorg_begindatum) as date)
    group by mp.periode, t.aanbieder_agb
),
sleutels as (
    -- a provider with an allocation active, or a declaration line, survey row or evaluation
    select
        coalesce(a.periode, t.periode) as periode,
        coalesce(a.aanbieder_agb, t.aanbieder_agb) as aanbieder_agb,
        a.clienten,
        a.clienten_begin
    from stg_aanbieder_clienten a
    full join (select periode, aanbieder_agb from stg_tellingen where regels + respondenten + evaluaties > 0) t
        on t.periode = a.periode and t.aanbieder_agb = a.aanbieder_agb
)
select
    p.periode,
    p.periode_begin,
    p.periode_eind,
    k.aanbieder_agb,
    coalesce(k.clienten, 0) as clienten,
    coalesce(k.clienten_begin, 0) as clienten_begin,
    coalesce(g.instroom, 0) as instroom,
    coalesce(e.uitstroom, 0) as uitstroom,
    100 * cast(coalesce(e.uitstroom, 0) as decimal(38, 10)) / nullif(k.clienten, 0) as uitstroom_pct,
    coalesce(t.lichter, 0) as doorstroom_lichter,
    coalesce(t.zwaarder, 0) as doorstroom_zwaarder,
    coalesce(t.gelijk, 0) as doorstroom_gelijk,
    coalesce(t.omklap, 0) as omklap,
    100 * cast(t.lichter as decimal(38, 10)) / nullif(t.lichter + t.zwaarder + t.gelijk, 0) as afschaling_pct,
    100 * cast(e.volgens_plan as decimal(38, 10)) / nullif(e.verantwoordelijk, 0) as uitstroom_volgens_plan_pct,
    100 * cast(e.uitval as decimal(38, 10)) / nullif(e.verantwoordelijk, 0) as uitval_pct,
    case when p.periode_eind + interval '180 days' <= pd.peildatum then
        100 * cast(h.teruggekomen as decimal(38, 10)) / nullif(h.volgens_plan, 0)
    end as herhaald_beroep_pct,
    e.mediane_duur_dagen,
    w.mediane_wachttijd_dagen,
    cast(coalesce(t.gedeclareerd, 0) as decimal(18, 2)) as gedeclareerd,
    cast(coalesce(t.verwacht_teller, 0) / 377580 as decimal(18, 2)) as verwacht,
    100 * cast(coalesce(t.gedeclareerd, 0) as decimal(38, 10))
        / nullif(cast(t.verwacht_teller / 377580 as decimal(18, 2)), 0) as gedeclareerd_vs_verwacht_pct,
    cast(coalesce(t.gedeclareerd, 0) as decimal(38, 10)) / nullif(k.clienten, 0) / p.maanden as kosten_per_client_per_maand,
    cast(coalesce(t.onrechtmatig_bedrag, 0) as decimal(18, 2)) as onrechtmatig_bedrag,
    coalesce(t.onrechtmatig_regels, 0) as onrechtmatig_regels,
    cast(coalesce(t.dubbel_bedrag, 0) as decimal(18, 2)) as dubbel_bedrag,
    coalesce(t.dubbel_regels, 0) as dubbel_regels,
    coalesce(t.respondenten, 0) as respondenten,
    100 * cast(t.v05_eens as decimal(38, 10)) / nullif(t.v05_antwoorden, 0) as tevredenheid_pct,
    cast(t.rapportcijfer_som as decimal(38, 10)) / nullif(t.rapportcijfer_aantal, 0) as rapportcijfer_gem,
    coalesce(t.evaluaties_eind, 0) as evaluaties_eind,
    100 * cast(t.volledig as decimal(38, 10)) / nullif(t.evaluaties_eind, 0) as doelrealisatie_volledig_pct,
    100 * cast(t.gedeeltelijk as decimal(38, 10)) / nullif(t.evaluaties_eind, 0) as doelrealisatie_gedeeltelijk_pct,
    100 * cast(t.niet as decimal(38, 10)) / nullif(t.evaluaties_eind, 0) as doelrealisatie_niet_pct,
    pd.peildatum
from sleutels k
join stg_perioden p on p.periode = k.periode
cross join peildatum pd
left join gestart g on g.periode = k.periode and g.aanbieder_agb = k.aanbieder_agb
left join geeindigd e on e.periode = k.periode and e.aanbieder_agb = k.aanbieder_agb
left join herhaald h on h.periode = k.periode and h.aanbieder_agb = k.aanbieder_agb
left join wachttijd w on w.periode = k.periode and w.aanbieder_agb = k.aanbieder_agb
left join stg_tellingen t on t.periode = k.periode and t.aanbieder_agb = k.aanbieder_agb
