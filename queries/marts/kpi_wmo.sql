-- @partition: periode
-- One row per period, Wmo-wide: clients, flows, money, reach, experience, provider
-- concentration and the five movements of the transformation (indicators.md, kpi_wmo).
--
-- instroom and uitstroom count Wmo trajectories (over all providers); the transition
-- counts and overstappen count provider trajectories. The five movements look at the
-- TO model unless said, with product attributes from producten.csv.
-- Choices where indicators.md leaves room:
-- - clienten_per_1000 divides by the residents on 1 January of the year the period
--   starts in (all districts); empty when inwoners.csv has no such year;
-- - b1 counts every active TO allocation in its denominator, TO maatwerk included;
-- - b2 ranks intensity gemiddeld < plus < hoog and counts TO -> TO transitions to a lower rank;
-- - gedeclareerd sums every line, debit and credit (signed).
-- The counts behind each share are columns too (after b5): the council monitor rounds
-- counts and computes its shares from the rounded ones (indicators.md, Publishing rules).
-- * periode: 2019-Q3 or 2019-H2
-- * periode_begin, periode_eind: first and last day of the period
-- * clienten: distinct clients with any allocation active in the period
-- * instroom: Wmo trajectories starting in the period
-- * uitstroom: Wmo trajectories ending in the period
-- * doorstroom_lichter: transitions in the period to a product with a lower tariff (all providers)
-- * doorstroom_zwaarder: transitions in the period to a product with a higher tariff (all providers)
-- * doorstroom_gelijk: transitions in the period to another product with the same tariff (all providers)
-- * omklap: transitions in the period from DIAH to TO or back (all providers)
-- * gedeclareerd: sum of all declaration line amounts (signed) in the period, euro
-- * verwacht: expected cost of all allocations in the period, euro
-- * gedeclareerd_vs_verwacht_pct: 100 x gedeclareerd / verwacht
-- * onrechtmatig_bedrag: amount of effective lines in the period that are onrechtmatig, euro
-- * clienten_per_1000: 1000 x clienten / residents of the period's year, all districts
-- * overstappen: provider trajectories ending in the period with reason 38 (overstap naar andere aanbieder)
-- * respondenten: survey rows filled in during the period
-- * tevredenheid_pct: 100 x share of v05 answers 4 or 5 among v05 answers 1-5
-- * rapportcijfer_gem: mean grade
-- * evaluaties_eind: final (eind) evaluations in the period
-- * doelrealisatie_volledig_pct: 100 x share of evaluaties_eind with goals met fully
-- * doelrealisatie_gedeeltelijk_pct: 100 x share of evaluaties_eind with goals met partly
-- * doelrealisatie_niet_pct: 100 x share of evaluaties_eind with goals not met
-- * aanbieders_actief: providers with at least one client in the period
-- * aanbieders_zonder_clienten: providers in aanbieders.csv whose contract covers a day of the period, without clients
-- * aanbieders_1_10: providers with 1 to 10 clients
-- * aanbieders_meer_dan_10: providers with more than 10 clients
-- * aanbieders_97pct: the fewest providers (largest first) whose clients add up to at least 97% of all providers' clients
-- * b1_aandeel_1_2_gebieden_pct: 100 x share of active TO allocations with resultaatgebieden 1-2
-- * b2_intensiteit_omlaag: TO -> TO transitions in the period to a lower intensity
-- * b3_naar_voorliggend: final evaluations in the period of TO allocations with vervolg voorliggend
-- * b4_aandeel_maatwerk_pct: 100 x share of active allocations (all models) on a maatwerk product
-- * b4_maatwerk_kosten_pct: 100 x share of gedeclareerd on maatwerk products
-- * b5_activerend_naar_ondersteunend: TO -> TO transitions in the period from activerend to ondersteunend
-- * inwoners: residents on 1 January of the period's year, all districts
-- * tevredenheid_antwoorden: v05 answers 1-5 (the denominator of tevredenheid_pct)
-- * tevredenheid_eens: v05 answers 4 or 5
-- * rapportcijfers: grades given (the denominator of rapportcijfer_gem)
-- * doelrealisatie_volledig: evaluaties_eind with goals met fully
-- * doelrealisatie_gedeeltelijk: evaluaties_eind with goals met partly
-- * doelrealisatie_niet: evaluaties_eind with goals not met
-- * to_toewijzingen: active TO allocations (the denominator of b1)
-- * to_toewijzingen_1_2_gebieden: active TO allocations with resultaatgebieden 1-2
-- * toewijzingen: active allocations, all models (the denominator of b4_aandeel_maatwerk_pct)
-- * maatwerk_toewijzingen: active allocations on a maatwerk product
-- * peildatum: the as-of date the figures were computed with
with
actief as (
    select
        ap.periode,
        count(distinct ap.client_sleutel) as clienten,
        count(*) filter (where pr.model = 'TO') as to_toewijzingen,
        count(*) filter (where pr.model = 'TO' and pr.resultaatgebieden = '1-2') as to_1_2_gebieden,
        count(*) as toewijzingen,
        count(*) filter (where pr.maatwerk = 'ja') as maatwerk_toewijzingen
    -- the products (few) first: a hash join holds its first side in memory
    from stg_producten pr
    right join stg_toewijzing_perioden ap on pr.productcode = ap.productcode
    group by ap.periode
),
concentratie as (
    select
        periode,
        count(*) as aanbieders_actief,
        count(*) filter (where clienten <= 10) as aanbieders_1_10,
        count(*) filter (where clienten > 10) as aanbieders_meer_dan_10,
        -- a provider is needed while the larger ones before it stay under 97%
        count(*) filter (where 100 * (tot_en_met - clienten) < 97 * totaal) as aanbieders_97pct
    from (
        select
            periode,
            clienten,
            sum(clienten) over (partition by periode order by clienten desc, aanbieder_agb rows unbounded preceding)
                as tot_en_met,
            sum(clienten) over (partition by periode) as totaal
        from stg_aanbieder_clienten
    )
    group by periode
),
zonder_clienten as (
    select p.periode, count(*) as aanbieders_zonder_clienten
    from stg_perioden p
    join stg_aanbieders a
        on coalesce(a.contract_vanaf, p.periode_begin) <= p.periode_eind
        and coalesce(a.contract_tot, p.periode_eind) >= p.periode_begin
    left join stg_aanbieder_clienten pa on pa.periode = p.periode and pa.aanbieder_agb = a.aanbieder_agb
    where pa.aanbieder_agb is null
    group by p.periode
),
gestart as (
    select mp.periode, count(*) as instroom
    from stg_trajecten t
    join stg_maand_perioden mp on mp.maand = t.begin_maand
    where t.niveau = 'wmo'
    group by mp.periode
),
geeindigd as (
    select mp.periode, count(*) as uitstroom
    from stg_trajecten t
    join stg_maand_perioden mp on mp.maand = t.eind_maand
    where t.niveau = 'wmo'
    group by mp.periode
),
overstappen as (
    select mp.periode, count(*) as overstappen
    from stg_trajecten t
    join stg_maand_perioden mp on mp.maand = t.eind_maand
    where t.niveau = 'aanbieder' and t.eindcategorie = 'overstap'
    group by mp.periode
),
tellingen as (
    select
        periode,
        sum(gedeclareerd) as gedeclareerd,
        sum(maatwerk_gedeclareerd) as maatwerk_gedeclareerd,
        sum(onrechtmatig_bedrag) as onrechtmatig_bedrag,
        sum(verwacht_teller) as verwacht_teller,
        sum(lichter) as lichter,
        sum(zwaarder) as zwaarder,
        sum(gelijk) as gelijk,
        sum(omklap) as omklap,
        sum(intensiteit_omlaag) as intensiteit_omlaag,
        sum(activerend_naar_ondersteunend) as activerend_naar_ondersteunend,
        sum(respondenten) as respondenten,
        sum(v05_antwoorden) as v05_antwoorden,
        sum(v05_eens) as v05_eens,
        sum(rapportcijfer_som) as rapportcijfer_som,
        sum(rapportcijfer_aantal) as rapportcijfer_aantal,
        sum(evaluaties_eind) as evaluaties_eind,
        sum(volledig) as volledig,
        sum(gedeeltelijk) as gedeeltelijk,
        sum(niet) as niet,
        sum(to_naar_voorliggend) as to_naar_voorliggend
    from stg_tellingen
    group by periode
),
inwoners as (
    select jaar, sum(inwoners) as inwoners from stg_inwoners group by jaar
)

select
    p.periode,
    p.periode_begin,
    p.periode_eind,
    coalesce(a.clienten, 0) as clienten,
    coalesce(g.instroom, 0) as instroom,
    coalesce(e.uitstroom, 0) as uitstroom,
    coalesce(t.lichter, 0) as doorstroom_lichter,
    coalesce(t.zwaarder, 0) as doorstroom_zwaarder,
    coalesce(t.gelijk, 0) as doorstroom_gelijk,
    coalesce(t.omklap, 0) as omklap,
    cast(coalesce(t.gedeclareerd, 0) as decimal(18, 2)) as gedeclareerd,
    cast(coalesce(t.verwacht_teller, 0) / 377580 as decimal(18, 2)) as verwacht,
    100 * cast(coalesce(t.gedeclareerd, 0) as decimal(38, 10))
        / nullif(cast(t.verwacht_teller / 377580 as decimal(18, 2)), 0) as gedeclareerd_vs_verwacht_pct,
    cast(coalesce(t.onrechtmatig_bedrag, 0) as decimal(18, 2)) as onrechtmatig_bedrag,
    1000 * cast(coalesce(a.clienten, 0) as decimal(38, 10)) / nullif(i.inwoners, 0) as clienten_per_1000,
    coalesce(ov.overstappen, 0) as overstappen,
    coalesce(t.respondenten, 0) as respondenten,
    100 * cast(t.v05_eens as decimal(38, 10)) / nullif(t.v05_antwoorden, 0) as tevredenheid_pct,
    cast(t.rapportcijfer_som as decimal(38, 10)) / nullif(t.rapportcijfer_aantal, 0) as rapportcijfer_gem,
    coalesce(t.evaluaties_eind, 0) as evaluaties_eind,
    100 * cast(t.volledig as decimal(38, 10)) / nullif(t.evaluaties_eind, 0) as doelrealisatie_volledig_pct,
    100 * cast(t.gedeeltelijk as decimal(38, 10)) / nullif(t.evaluaties_eind, 0) as doelrealisatie_gedeeltelijk_pct,
    100 * cast(t.niet as decimal(38, 10)) / nullif(t.evaluaties_eind, 0) as doelrealisatie_niet_pct,
    coalesce(c.aanbieders_actief, 0) as aanbieders_actief,
    coalesce(z.aanbieders_zonder_clienten, 0) as aanbieders_zonder_clienten,
    coalesce(c.aanbieders_1_10, 0) as aanbieders_1_10,
    coalesce(c.aanbieders_meer_dan_10, 0) as aanbieders_meer_dan_10,
    coalesce(c.aanbieders_97pct, 0) as aanbieders_97pct,
    100 * cast(a.to_1_2_gebieden as decimal(38, 10)) / nullif(a.to_toewijzingen, 0) as b1_aandeel_1_2_gebieden_pct,
    coalesce(t.intensiteit_omlaag, 0) as b2_intensiteit_omlaag,
    coalesce(t.to_naar_voorliggend, 0) as b3_naar_voorliggend,
    100 * cast(a.maatwerk_toewijzingen as decimal(38, 10)) / nullif(a.toewijzingen, 0) as b4_aandeel_maatwerk_pct,
    100 * cast(t.maatwerk_gedeclareerd as decimal(38, 10)) / nullif(t.gedeclareerd, 0) as b4_maatwerk_kosten_pct,
    coalesce(t.activerend_naar_ondersteunend, 0) as b5_activerend_naar_ondersteunend,
    i.inwoners,
    coalesce(t.v05_antwoorden, 0) as tevredenheid_antwoorden,
    coalesce(t.v05_eens, 0) as tevredenheid_eens,
    coalesce(t.rapportcijfer_aantal, 0) as rapportcijfers,
    coalesce(t.volledig, 0) as doelrealisatie_volledig,
    coalesce(t.gedeeltelijk, 0) as doelrealisatie_gedeeltelijk,
    coalesce(t.niet, 0) as doelrealisatie_niet,
    coalesce(a.to_toewijzingen, 0) as to_toewijzingen,
    coalesce(a.to_1_2_gebieden, 0) as to_toewijzingen_1_2_gebieden,
    coalesce(a.toewijzingen, 0) as toewijzingen,
    coalesce(a.maatwerk_toewijzingen, 0) as maatwerk_toewijzingen,
    pd.peildatum
from stg_perioden p
cross join peildatum pd
left join actief a on a.periode = p.periode
left join concentratie c on c.periode = p.periode
left join zonder_clienten z on z.periode = p.periode
left join gestart g on g.periode = p.periode
left join geeindigd e on e.periode = p.periode
left join overstappen ov on ov.periode = p.periode
left join tellingen t on t.periode = p.periode
left join inwoners i on i.jaar = date_part('year', p.periode_begin)
