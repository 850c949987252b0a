-- @stored-during-compute
-- Current allocations: the newest WMO301 version of every toewijzingnummer (by
-- dagtekening, then bericht_identificatie as text) among the messages dated on or
-- before the peildatum. When that version has reden_wijziging 13 (verwijderd) the
-- allocation never existed and is left out.
-- Choice: the same message loaded twice (two files) keeps the row of the later load.
-- A number listed twice within one message (iWmo does not allow it; ingest does not
-- refuse it yet) would keep both rows.
-- * client_sleutel: the client as a 64-bit integer, sleutel(client_pseudoniem); the views join, sort and count on it
-- Speed: the newest version is found by the highest `volgorde` per number (an
-- aggregate) and joined back; DataFusion 55's window functions spend time per
-- window partition, which is slow with 3 million allocation numbers.
with versies as (
    select
        t.*,
        -- chr(1) sorts before every character, so a shorter text sorts first as it does on its own
        concat(cast(t.dagtekening as varchar), chr(1), t.bericht_identificatie, chr(1),
            lpad(cast(t.laad_id as varchar), 20, '0')) as volgorde
    from toewijzingen t
    where t.dagtekening <= (select peildatum from peildatum)
),
nieuwste as (
    select toewijzingnummer, max(volgorde) as volgorde
    from versies
    group by toewijzingnummer
)
select
    v.toewijzingnummer,
    v.aanbieder_agb,
    v.client_pseudoniem,
    sleutel(v.client_pseudoniem) as client_sleutel,
    v.geboortejaar,
    v.geslacht,
    v.postcode4,
    v.productcategorie,
    v.productcode,
    v.toewijzingsdatum,
    v.ingangsdatum,
    v.einddatum,
    v.reden_wijziging,
    v.volume,
    v.eenheid,
    v.frequentie,
    v.budget,
    v.dagtekening,
    v.bericht_identificatie
from nieuwste n
join versies v on v.toewijzingnummer = n.toewijzingnummer and v.volgorde = n.volgorde
where v.reden_wijziging is null or v.reden_wijziging <> '13'
