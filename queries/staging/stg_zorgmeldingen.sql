-- @stored-during-compute
-- Start (wmo305) and stop (wmo307) of care, resolved: per provider, allocation and
-- message kind the latest message (by dagtekening, then bericht_identificatie as
-- text) dated on or before the peildatum decides. StatusAanlevering 1 is a first
-- delivery and 2 replaces what came before (a 2 with nothing before it is a first
-- delivery), so both simply count when latest; a latest 3 deletes: no row.
-- Choice: messages are matched per provider as well as per allocation number, so
-- one provider's message can never start or stop another provider's care.
with meldingen as (
    select
        z.*,
        -- chr(1) sorts before every character, so a shorter text sorts first as it does on its own
        concat(cast(z.dagtekening as varchar), chr(1), z.bericht_identificatie, chr(1),
            lpad(cast(z.laad_id as varchar), 20, '0')) as volgorde
    from zorgmeldingen z
    where z.dagtekening <= (select peildatum from peildatum)
),
laatste as (
    select aanbieder_agb, toewijzingnummer, berichtsoort, max(volgorde) as volgorde
    from meldingen
    group by aanbieder_agb, toewijzingnummer, berichtsoort
)
select
    m.aanbieder_agb,
    m.toewijzingnummer,
    m.berichtsoort,
    m.client_pseudoniem,
    m.productcode,
    m.begindatum,
    m.einddatum,
    m.reden_beeindiging,
    m.status_aanlevering,
    m.dagtekening
from laatste l
join meldingen m
    on m.aanbieder_agb = l.aanbieder_agb
    and m.toewijzingnummer = l.toewijzingnummer
    and m.berichtsoort = l.berichtsoort
    and m.volgorde = l.volgorde
where m.status_aanlevering <> '3'
