-- @stored-during-compute
-- Declaration lines known on the peildatum, each classified (indicators.md,
-- "Declaration lines").
--
-- A credit line cancels the debit line it names in vorig_referentienummer, of the
-- same provider. A debit line not cancelled is effective; an effective line is
-- rechtmatig when an allocation with its toewijzingnummer exists (current version)
-- with the same client, provider and product code, and its product period lies inside
-- the allocation's [ingangsdatum, einddatum]. Otherwise onrechtmatig_reden holds the
-- first failing reason. Two effective lines of one provider and allocation with
-- overlapping product periods are dubbel: the one with the higher referentienummer
-- (as text) is the double one.
-- Choices: overlapping lines are looked for within one month (ingest guarantees a
-- product period lies inside its one-month declaration period); equal reference
-- numbers are ordered by bericht_identificatie. A credit naming no known debit still
-- counts in the amounts (it is money the provider gave back).
-- * maand: first day of the month of product_begin: the line belongs to the period holding it
-- * geannuleerd: a debit line a credit line cancels
-- * effectief: a debit line no credit line cancels
-- * rechtmatig: an effective line that fits its allocation; empty for other lines
-- * onrechtmatig_reden: geen_toewijzing, andere_client_of_aanbieder, ander_product or buiten_periode; empty when rechtmatig
-- * dubbel: an effective line overlapping an earlier one of the same provider and allocation
-- Memory: a hash join holds its first (build) side in memory, so each join below
-- names the small side first (`small right join large`): the credits, the current
-- allocations, the few groups of lines that could be double.
with regels as (
    select d.*, cast(date_trunc('month', d.product_begin) as date) as maand
    from declaratieregels d
    where d.dagtekening <= (select peildatum from peildatum)
),
-- Each line with one 64-bit key of its allocation number and month (groep_sleutel):
-- the high 48 bits of the number's sleutel and the month's first day as a day number
-- (below 65,536 until 2149), without overflow.
gesleuteld as (
    select *,
        sleutel(toewijzingnummer) / 65536 * 65536 + cast(cast(maand as int) as bigint) as groep_sleutel
    from regels
),
credits as (
    select distinct aanbieder_agb, vorig_referentienummer
    from regels
    where debet_credit = 'C' and vorig_referentienummer is not null
),
-- Debit and credit lines in one pass over the table: only a debit line can be
-- cancelled, and only an effective line is checked against its allocation
-- (toets_nummer is empty on the others, so they join no allocation).
lijnen as (
    select r.*, r.debet_credit = 'D' and c.vorig_referentienummer is not null as geannuleerd,
        r.debet_credit = 'D' and c.vorig_referentienummer is null as effectief
    from credits c
    right join regels r on c.aanbieder_agb = r.aanbieder_agb and c.vorig_referentienummer = r.referentienummer
),
getoetst as (
    select
        d.*,
        case
            when not d.effectief then null
            when t.toewijzingnummer is null then 'geen_toewijzing'
            when t.client_pseudoniem <> d.client_pseudoniem or t.aanbieder_agb <> d.aanbieder_agb
                then 'andere_client_of_aanbieder'
            when t.productcode <> d.productcode then 'ander_product'
            when d.product_begin < t.ingangsdatum or d.product_eind > coalesce(t.einddatum, date '9999-12-31')
                then 'buiten_periode'
        end as onrechtmatig_reden
    from stg_toewijzingen t
    right join (
        select *, case when effectief then toewijzingnummer end as toets_nummer from lijnen
    ) d on t.toewijzingnummer = d.toets_nummer
),
-- Only a provider, allocation and month with two or more effective lines can hold a
-- double. The debit lines are counted per groep_sleutel, one integer for the count and
-- the join back. Cancelled lines are counted too (leaving them out needs the credits
-- joined to every line) and left out in groepen, where few lines remain; numbers
-- sharing a key, or one number at two providers, only add a candidate: groepen groups
-- on the real columns.
meerdere as (
    select groep_sleutel
    from gesleuteld
    where debet_credit = 'D'
    group by groep_sleutel
    having count(*) > 1
),
kandidaten as (
    select g.aanbieder_agb, g.toewijzingnummer, g.maand, g.referentienummer, g.bericht_identificatie,
        g.product_begin, g.product_eind
    from meerdere m
    join gesleuteld g on g.groep_sleutel = m.groep_sleutel
    where g.debet_credit = 'D'
),
-- Each such group's effective lines in one list, paired with each other by unnesting
-- it twice (one pass over the lines instead of a self-join that reads them twice).
groepen as (
    select k.aanbieder_agb,
        array_agg(named_struct('ref', k.referentienummer, 'bid', k.bericht_identificatie,
            'begin', k.product_begin, 'eind', k.product_eind)) as regels
    from credits c
    right join kandidaten k on c.aanbieder_agb = k.aanbieder_agb and c.vorig_referentienummer = k.referentienummer
    where c.vorig_referentienummer is null
    group by k.aanbieder_agb, k.toewijzingnummer, k.maand
),
paren as (
    select aanbieder_agb, later, unnest(regels) as eerder
    from (select aanbieder_agb, unnest(regels) as later, regels from groepen)
),
dubbel as (
    select distinct aanbieder_agb, later['ref'] as referentienummer, later['bid'] as bericht_identificatie,
        true as overlapt
    from paren
    where eerder['begin'] <= later['eind']
        and later['begin'] <= eerder['eind']
        and (eerder['ref'] < later['ref'] or (eerder['ref'] = later['ref'] and eerder['bid'] < later['bid']))
)
select
    g.bericht_identificatie, g.dagtekening, g.aanbieder_agb, g.client_pseudoniem, g.declaratienummer,
    g.referentienummer, g.vorig_referentienummer, g.toewijzingnummer, g.productcategorie, g.productcode,
    g.product_begin, g.product_eind, g.maand, g.geleverd_volume, g.eenheid, g.product_tarief, g.bedrag,
    g.debet_credit, g.waarschuwing, g.geannuleerd, g.effectief,
    case when g.effectief then g.onrechtmatig_reden is null end as rechtmatig,
    g.onrechtmatig_reden,
    -- from a flag of the dubbel side, not `d.referentienummer is not null`: with the latter,
    -- DataFusion 55 answered `not rechtmatig or dubbel` with every effective line
    -- (tests/indicators/declarations.slt)
    g.effectief and coalesce(d.overlapt, false) as dubbel
from dubbel d
right join getoetst g
    on d.aanbieder_agb = g.aanbieder_agb
    and d.referentienummer = g.referentienummer
    and d.bericht_identificatie = g.bericht_identificatie
