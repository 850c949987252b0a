-- Current allocations: the newest WMO301 version of every toewijzingnummer (by
-- dagtekening, then bericht_identificatie as text) among the messages dated on or
-- before the peildatum. When that version has reden_wijziging 13 (verwijderd) the
-- allocation never existed and is left out.
-- Choice: a number sent twice in one message keeps the row of the later load.
select
    toewijzingnummer,
    aanbieder_agb,
    client_pseudoniem,
    geboortejaar,
    geslacht,
    postcode4,
    productcategorie,
    productcode,
    toewijzingsdatum,
    ingangsdatum,
    einddatum,
    reden_wijziging,
    volume,
    eenheid,
    frequentie,
    budget,
    dagtekening,
    bericht_identificatie
from (
    select t.*, row_number() over (
        partition by t.toewijzingnummer
        order by t.dagtekening desc, t.bericht_identificatie desc, t.laad_id desc
    ) as versie
    from toewijzingen t
    join peildatum p on t.dagtekening <= p.peildatum
)
where versie = 1 and (reden_wijziging is null or reden_wijziging <> '13')
