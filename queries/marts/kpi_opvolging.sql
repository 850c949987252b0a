-- @partition: periode
-- The declaration lines a provider's pack lists to follow up, per period (indicators.md,
-- "Lawfulness"): its effective lines in the period that are onrechtmatig or dubbel.
-- Kept at compute time with the figures, so the pack lists the lines those figures
-- counted (the same peildatum), and publish need not classify declaration lines again.
-- * periode: 2019-Q3 or 2019-H2
-- * aanbieder_agb: 8-digit AGB code of the provider
-- * toewijzingnummer: ToewijzingNummer the line declares on
-- * referentienummer: ProductReferentie/ReferentieNummer of the line
-- * productcode: ProductCode
-- * product_begin, product_eind: ProductPeriode of the line
-- * bedrag: IngediendBedrag, euro
-- * reden: why to follow it up: the onrechtmatig_reden code, `dubbel`, or both as `code;dubbel`
-- * peildatum: the as-of date the figures were computed with
select
    mp.periode,
    d.aanbieder_agb,
    d.toewijzingnummer,
    d.referentienummer,
    d.productcode,
    d.product_begin,
    d.product_eind,
    d.bedrag,
    case
        when d.onrechtmatig_reden is null then 'dubbel'
        when d.dubbel then concat(d.onrechtmatig_reden, ';dubbel')
        else d.onrechtmatig_reden
    end as reden,
    pd.peildatum
from stg_declaratieregels d
join stg_maand_perioden mp on mp.maand = d.maand
cross join peildatum pd
where d.effectief and (not d.rechtmatig or d.dubbel)
