-- @partition: periode
-- The eight survey statements per period and provider, and Wmo-wide as provider
-- `alle` (indicators.md, kpi_ervaring): how many answered 1-5 and the share that
-- agrees (4 or 5).
-- Choice: a provider with respondents in the period has a row for each statement, with
-- 0 answers where nobody answered it.
-- * periode: 2019-Q3 or 2019-H2
-- * periode_begin, periode_eind: first and last day of the period
-- * aanbieder_agb: the provider, or alle
-- * vraag: v01 to v08
-- * stelling: the statement as the respondent read it
-- * respondenten: survey rows in the period (for the provider, or all)
-- * antwoorden: answers 1-5 to the statement
-- * eens: answers 4 or 5 to the statement
-- * eens_pct: 100 x share of answers 4 or 5 among antwoorden
-- * peildatum: the as-of date the figures were computed with
with
antwoorden as (
    select maand, aanbieder_agb, respondent_id, 'v01' as vraag, v01 as antwoord from stg_ervaringen
    union all select maand, aanbieder_agb, respondent_id, 'v02', v02 from stg_ervaringen
    union all select maand, aanbieder_agb, respondent_id, 'v03', v03 from stg_ervaringen
    union all select maand, aanbieder_agb, respondent_id, 'v04', v04 from stg_ervaringen
    union all select maand, aanbieder_agb, respondent_id, 'v05', v05 from stg_ervaringen
    union all select maand, aanbieder_agb, respondent_id, 'v06', v06 from stg_ervaringen
    union all select maand, aanbieder_agb, respondent_id, 'v07', v07 from stg_ervaringen
    union all select maand, aanbieder_agb, respondent_id, 'v08', v08 from stg_ervaringen
),
beide as (
    select maand, aanbieder_agb, vraag, antwoord from antwoorden
    union all
    select maand, 'alle', vraag, antwoord from antwoorden
),
stellingen as (
    select * from (values
        ('v01', 'Ik wist waar ik moest zijn met mijn hulpvraag'),
        ('v02', 'Ik werd snel geholpen'),
        ('v03', 'De medewerker nam mij serieus'),
        ('v04', 'We hebben samen naar oplossingen gezocht'),
        ('v05', 'De kwaliteit van de ondersteuning is goed'),
        ('v06', 'Door de ondersteuning kan ik de dingen doen die ik wil'),
        ('v07', 'Door de ondersteuning kan ik mij beter redden'),
        ('v08', 'Door de ondersteuning heb ik een betere kwaliteit van leven')
    ) as s(vraag, stelling)
),
geteld as (
    select
        mp.periode,
        b.aanbieder_agb,
        b.vraag,
        count(*) as respondenten,
        count(b.antwoord) as antwoorden,
        count(*) filter (where b.antwoord >= 4) as eens
    from beide b
    join stg_maand_perioden mp on mp.maand = b.maand
    group by mp.periode, b.aanbieder_agb, b.vraag
)
select
    p.periode,
    p.periode_begin,
    p.periode_eind,
    g.aanbieder_agb,
    g.vraag,
    s.stelling,
    g.respondenten,
    g.antwoorden,
    g.eens,
    100 * cast(g.eens as decimal(38, 10)) / nullif(g.antwoorden, 0) as eens_pct,
    pd.peildatum
from geteld g
join stg_perioden p on p.periode = g.periode
join stellingen s on s.vraag = g.vraag
cross join peildatum pd
