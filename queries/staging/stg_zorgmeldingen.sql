-- Start (wmo305) and stop (wmo307) of care, resolved: per provider, allocation and
-- message kind the latest message (by dagtekening, then bericht_identificatie as
-- text) dated on or before the peildatum decides. StatusAanlevering 1 is a first
-- delivery and 2 replaces what came before (a 2 with nothing before it is a first
-- delivery), so both simply count when latest; a latest 3 deletes: no row.
-- Choice: messages are matched per provider as well as per allocation number, so
-- one provider's message can never start or stop another provider's care.
select
    aanbieder_agb,
    toewijzingnummer,
    berichtsoort,
    client_pseudoniem,
    productcode,
    begindatum,
    einddatum,
    reden_beeindiging,
    status_aanlevering,
    dagtekening
from (
    select z.*, row_number() over (
        partition by z.aanbieder_agb, z.toewijzingnummer, z.berichtsoort
        order by z.dagtekening desc, z.bericht_identificatie desc, z.laad_id desc
    ) as volgorde
    from zorgmeldingen z
    join peildatum p on z.dagtekening <= p.peildatum
)
where volgorde = 1 and status_aanlevering <> '3'
