-- @stored-during-compute
-- Every period in which a current allocation is active: it starts on or before the
-- period's end and its effective end is empty or on or after the period's begin.
-- * actief_op_begin: the allocation is active on periode_begin itself
-- * periode: a period in which the allocation is active
-- Speed: the series start no earlier than the year of the first period, so an
-- allocation from years before the lake's periods does not make rows no period joins.
with horizon as (
    select cast(date_trunc('year', min(periode_begin)) as date) as eerste, max(periode_eind) as laatste
    from stg_perioden
),
reeksen as (
    select
        t.toewijzingnummer, t.aanbieder_agb, t.client_sleutel, t.postcode4, t.productcategorie, t.productcode,
        t.ingangsdatum, t.effectief_eind,
        generate_series(
            greatest(cast(date_trunc('quarter', t.ingangsdatum) as date), h.eerste),
            least(coalesce(t.effectief_eind, h.laatste), h.laatste),
            interval '3 months'
        ) as kwartalen,
        generate_series(
            greatest(
                make_date(date_part('year', t.ingangsdatum), case when date_part('month', t.ingangsdatum) <= 6 then 1 else 7 end, 1),
                h.eerste
            ),
            least(coalesce(t.effectief_eind, h.laatste), h.laatste),
            interval '6 months'
        ) as halfjaren
    from stg_toewijzingen_zorg t
    cross join horizon h
),
-- Each allocation's columns ride along with its periods: no join back to the allocations.
begins as (
    select
        toewijzingnummer, aanbieder_agb, client_sleutel, postcode4, productcategorie, productcode, ingangsdatum,
        effectief_eind, 'kwartaal' as soort, unnest(kwartalen) as periode_begin
    from reeksen
    union all
    select
        toewijzingnummer, aanbieder_agb, client_sleutel, postcode4, productcategorie, productcode, ingangsdatum,
        effectief_eind, 'halfjaar', unnest(halfjaren)
    from reeksen
)
select
    p.periode,
    p.periode_begin,
    p.periode_eind,
    b.toewijzingnummer,
    b.aanbieder_agb,
    b.client_sleutel,
    b.postcode4,
    b.productcategorie,
    b.productcode,
    b.ingangsdatum,
    b.effectief_eind,
    b.ingangsdatum <= p.periode_begin and coalesce(b.effectief_eind, p.periode_begin) >= p.periode_begin as actief_op_begin
from begins b
join stg_perioden p on p.soort = b.soort and p.periode_begin = cast(b.periode_begin as date)
