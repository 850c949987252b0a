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
credits as (
    select distinct aanbieder_agb, vorig_referentienummer
    from regels
    where debet_credit = 'C' and vorig_referentienummer is not null
),
debet as (
    select r.*, c.vorig_referentienummer is not null as geannuleerd
    from credits c
    right join regels r on c.aanbieder_agb = r.aanbieder_agb and c.vorig_referentienummer = r.referentienummer
    where r.debet_credit = 'D'
),
getoetst as (
    select
        d.*,
        not d.geannuleerd as effectief,
        case
            when d.geannuleerd then null
            when t.toewijzingnummer is null then 'geen_toewijzing'
            when t.client_pseudoniem <> d.client_pseudoniem or t.aanbieder_agb <> d.aanbieder_agb
                then 'andere_client_of_aanbieder'
            when t.productcode <> d.productcode then 'ander_product'
            when d.product_begin < t.ingangsdatum or d.product_eind > coalesce(t.einddatum, date '9999-12-31')
                then 'buiten_periode'
        end as onrechtmatig_reden
    from stg_toewijzingen t
    right join debet d on t.toewijzingnummer = d.toewijzingnummer
),
-- Only a provider, allocation and month with two or more effective lines can hold a
-- double. The lines are counted per month of an allocation number, on a 64-bit key of
-- the number (sleutel): grouping 20 million lines on an integer and a date took 3.2 s
-- where the provider, the number and the month took 5.4 s. Numbers sharing a key, or
-- one number at two providers, only add a candidate: groepen groups on the real columns.
meerdere as (
    select sleutel(toewijzingnummer) as nummer_sleutel, maand
    from debet
    where not geannuleerd
    group by sleutel(toewijzingnummer), maand
    having count(*) > 1
),
-- Each such group's lines in one list, paired with each other by unnesting it twice
-- (one pass over the lines instead of a self-join that reads them twice).
groepen as (
    select g.aanbieder_agb,
        array_agg(named_struct('ref', g.referentienummer, 'bid', g.bericht_identificatie,
            'begin', g.product_begin, 'eind', g.product_eind)) as regels
    from meerdere m
    join debet g on sleutel(g.toewijzingnummer) = m.nummer_sleutel and g.maand = m.maand
    where not g.geannuleerd
    group by g.aanbieder_agb, g.toewijzingnummer, g.maand
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
union all
select
    bericht_identificatie, dagtekening, aanbieder_agb, client_pseudoniem, declaratienummer,
    referentienummer, vorig_referentienummer, toewijzingnummer, productcategorie, productcode,
    product_begin, product_eind, maand, geleverd_volume, eenheid, product_tarief, bedrag,
    debet_credit, waarschuwing, false, false, null, null, false
from regels
where debet_credit = 'C'
