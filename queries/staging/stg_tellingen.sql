-- @stored-during-compute
-- Counts and sums per period and provider that add up, so that what counts is
-- defined once: kpi_aanbieder takes them per provider, kpi_wmo sums them over
-- providers. (Distinct clients, trajectories and medians do not add up; the marts
-- compute those themselves.)
-- * regels: declaration lines (debit and credit) in the period
-- * gedeclareerd: sum of the line amounts (signed), euro
-- * maatwerk_gedeclareerd: the part of gedeclareerd on products with maatwerk = ja, euro
-- * onrechtmatig_bedrag, onrechtmatig_regels: effective lines that are onrechtmatig: amount and number
-- * dubbel_bedrag, dubbel_regels: effective lines that are dubbel: amount and number
-- * verwacht_teller: sum of the exact expected-cost numerators of stg_verwachte_kosten (divide by 377580)
-- * lichter, zwaarder, gelijk, omklap: transitions in the period per class
-- * intensiteit_omlaag: TO -> TO transitions to a lower intensity (gemiddeld < plus < hoog)
-- * activerend_naar_ondersteunend: TO -> TO transitions from activerend to ondersteunend
-- * respondenten: survey rows filled in during the period
-- * v05_antwoorden, v05_eens: v05 answered 1-5, and of those 4 or 5
-- * rapportcijfer_som, rapportcijfer_aantal: sum and number of the grades given
-- * evaluaties: evaluations in the period, interim and final
-- * evaluaties_eind: final (eind) evaluations
-- * volledig, gedeeltelijk, niet: final evaluations per doelrealisatie
-- * to_naar_voorliggend: final evaluations of TO allocations with vervolg voorliggend
with
declaraties as (
    select
        mp.periode,
        d.aanbieder_agb,
        sum(d.regels) as regels,
        sum(d.gedeclareerd) as gedeclareerd,
        sum(d.maatwerk_gedeclareerd) as maatwerk_gedeclareerd,
        sum(d.onrechtmatig_bedrag) as onrechtmatig_bedrag,
        sum(d.onrechtmatig_regels) as onrechtmatig_regels,
        sum(d.dubbel_bedrag) as dubbel_bedrag,
        sum(d.dubbel_regels) as dubbel_regels
    -- per month first: twenty million lines become a few thousand rows before each month
    -- is counted in its quarter and its half-year
    from (
        select
            d.maand,
            d.aanbieder_agb,
            count(*) as regels,
            sum(d.bedrag) as gedeclareerd,
            coalesce(sum(d.bedrag) filter (where pr.maatwerk = 'ja'), 0) as maatwerk_gedeclareerd,
            coalesce(sum(d.bedrag) filter (where d.effectief and not d.rechtmatig), 0) as onrechtmatig_bedrag,
            count(*) filter (where d.effectief and not d.rechtmatig) as onrechtmatig_regels,
            coalesce(sum(d.bedrag) filter (where d.dubbel), 0) as dubbel_bedrag,
            count(*) filter (where d.dubbel) as dubbel_regels
        -- the products (few) first: a hash join holds its first side in memory
        from stg_producten pr
        right join stg_declaratieregels d on pr.productcode = d.productcode
        group by d.maand, d.aanbieder_agb
    ) d
    join stg_maand_perioden mp on mp.maand = d.maand
    group by mp.periode, d.aanbieder_agb
),
verwacht as (
    select mp.periode, v.aanbieder_agb, sum(v.verwacht_teller) as verwacht_teller
    -- per month first: tens of millions of allocation-months become a few thousand rows
    -- before each month is counted in its quarter and its half-year
    from (
        select maand, aanbieder_agb, sum(verwacht_teller) as verwacht_teller
        from stg_verwachte_kosten
        group by maand, aanbieder_agb
    ) v
    join stg_maand_perioden mp on mp.maand = v.maand
    group by mp.periode, v.aanbieder_agb
),
doorstroom as (
    select
        mp.periode,
        o.aanbieder_agb,
        count(*) filter (where o.klasse = 'lichter') as lichter,
        count(*) filter (where o.klasse = 'zwaarder') as zwaarder,
        count(*) filter (where o.klasse = 'gelijk') as gelijk,
        count(*) filter (where o.klasse = 'omklap') as omklap,
        count(*) filter (where o.van_model = 'TO' and o.naar_model = 'TO'
            and case o.naar_intensiteit when 'gemiddeld' then 1 when 'plus' then 2 when 'hoog' then 3 end
              < case o.van_intensiteit when 'gemiddeld' then 1 when 'plus' then 2 when 'hoog' then 3 end)
            as intensiteit_omlaag,
        count(*) filter (where o.van_model = 'TO' and o.naar_model = 'TO'
            and o.van_type = 'activerend' and o.naar_type = 'ondersteunend') as activerend_naar_ondersteunend
    from stg_overgangen o
    join stg_maand_perioden mp on mp.maand = o.maand
    group by mp.periode, o.aanbieder_agb
),
ervaring as (
    select
        mp.periode,
        e.aanbieder_agb,
        count(*) as respondenten,
        count(e.v05) as v05_antwoorden,
        count(*) filter (where e.v05 >= 4) as v05_eens,
        sum(e.rapportcijfer) as rapportcijfer_som,
        count(e.rapportcijfer) as rapportcijfer_aantal
    from stg_ervaringen e
    join stg_maand_perioden mp on mp.maand = e.maand
    group by mp.periode, e.aanbieder_agb
),
evaluatie as (
    select
        mp.periode,
        e.aanbieder_agb,
        count(*) as evaluaties,
        count(*) filter (where e.soort = 'eind') as evaluaties_eind,
        count(*) filter (where e.soort = 'eind' and e.doelrealisatie = 'volledig') as volledig,
        count(*) filter (where e.soort = 'eind' and e.doelrealisatie = 'gedeeltelijk') as gedeeltelijk,
        count(*) filter (where e.soort = 'eind' and e.doelrealisatie = 'niet') as niet,
        count(*) filter (where e.soort = 'eind' and e.model = 'TO' and e.vervolg = 'voorliggend') as to_naar_voorliggend
    from stg_evaluaties e
    join stg_maand_perioden mp on mp.maand = e.maand
    group by mp.periode, e.aanbieder_agb
)
-- Full joins, so that each part is computed once (DataFusion computes a CTE again
-- wherever it is named) and a provider with only one kind of row still has its row.
select
    coalesce(d.periode, v.periode, o.periode, r.periode, ev.periode) as periode,
    coalesce(d.aanbieder_agb, v.aanbieder_agb, o.aanbieder_agb, r.aanbieder_agb, ev.aanbieder_agb) as aanbieder_agb,
    coalesce(d.regels, 0) as regels,
    coalesce(d.gedeclareerd, 0) as gedeclareerd,
    coalesce(d.maatwerk_gedeclareerd, 0) as maatwerk_gedeclareerd,
    coalesce(d.onrechtmatig_bedrag, 0) as onrechtmatig_bedrag,
    coalesce(d.onrechtmatig_regels, 0) as onrechtmatig_regels,
    coalesce(d.dubbel_bedrag, 0) as dubbel_bedrag,
    coalesce(d.dubbel_regels, 0) as dubbel_regels,
    coalesce(v.verwacht_teller, 0) as verwacht_teller,
    coalesce(o.lichter, 0) as lichter,
    coalesce(o.zwaarder, 0) as zwaarder,
    coalesce(o.gelijk, 0) as gelijk,
    coalesce(o.omklap, 0) as omklap,
    coalesce(o.intensiteit_omlaag, 0) as intensiteit_omlaag,
    coalesce(o.activerend_naar_ondersteunend, 0) as activerend_naar_ondersteunend,
    coalesce(r.respondenten, 0) as respondenten,
    coalesce(r.v05_antwoorden, 0) as v05_antwoorden,
    coalesce(r.v05_eens, 0) as v05_eens,
    coalesce(r.rapportcijfer_som, 0) as rapportcijfer_som,
    coalesce(r.rapportcijfer_aantal, 0) as rapportcijfer_aantal,
    coalesce(ev.evaluaties, 0) as evaluaties,
    coalesce(ev.evaluaties_eind, 0) as evaluaties_eind,
    coalesce(ev.volledig, 0) as volledig,
    coalesce(ev.gedeeltelijk, 0) as gedeeltelijk,
    coalesce(ev.niet, 0) as niet,
    coalesce(ev.to_naar_voorliggend, 0) as to_naar_voorliggend
from declaraties d
full join verwacht v on v.periode = d.periode and v.aanbieder_agb = d.aanbieder_agb
full join doorstroom o
    on o.periode = coalesce(d.periode, v.periode)
    and o.aanbieder_agb = coalesce(d.aanbieder_agb, v.aanbieder_agb)
full join ervaring r
    on r.periode = coalesce(d.periode, v.periode, o.periode)
    and r.aanbieder_agb = coalesce(d.aanbieder_agb, v.aanbieder_agb, o.aanbieder_agb)
full join evaluatie ev
    on ev.periode = coalesce(d.periode, v.periode, o.periode, r.periode)
    and ev.aanbieder_agb = coalesce(d.aanbieder_agb, v.aanbieder_agb, o.aanbieder_agb, r.aanbieder_agb)
