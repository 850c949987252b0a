-- The debit lines that credit lines cancel (indicators.md, "Declaration lines"): the
-- provider and the reference number each credit line known on the peildatum names
-- in vorig_referentienummer, once each.
-- Kept apart from stg_declaratieregels so that the credits are looked up once: that
-- view needs them in two places, and each would read all declaration lines again.
-- * aanbieder_agb: 8-digit AGB code of the provider of the credit line
-- * vorig_referentienummer: the reference number of the debit line it cancels
select distinct aanbieder_agb, vorig_referentienummer
from declaratieregels
where debet_credit = 'C'
    and vorig_referentienummer is not null
    and dagtekening <= (select peildatum from peildatum)
