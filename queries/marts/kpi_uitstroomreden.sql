-- @partition: periode
-- Trajectories ending per period, provider and end-reason category (indicators.md,
-- kpi_uitstroomreden), and the Wmo-wide view as provider `alle`.
-- Choices where indicators.md leaves room:
-- - the `alle` rows count Wmo trajectories (over all providers), as kpi_wmo's
--   uitstroom does; a switch to another provider within 3 days is no Wmo-wide end;
-- - every category has a row for `alle` and for each provider with an end in the
--   period, 0 when none.
-- * periode: 2019-Q3 or 2019-H2
-- * periode_begin, periode_eind: first and last day of the period
-- * aanbieder_agb: the provider, or alle for Wmo trajectories
-- * eindcategorie: volgens_plan, voortijdig_in_overleg, uitval, overstap, ander_domein, overlijden, verhuizing, tijdelijk, gemeente, overig or verlopen
-- * aanbieder_verantwoordelijk: the provider is accountable for ends of this category
-- * trajecten: trajectories ending in the period with this category
-- * peildatum: the as-of date the figures were computed with
with
geeindigd as (
    select mp.periode, t.aanbieder_agb, t.eindcategorie, count(*) as trajecten
    from stg_trajecten t
    join stg_maand_perioden mp on mp.maand = t.eind_maand
    group by mp.periode, t.aanbieder_agb, t.eindcategorie
),
categorieen as (
    select * from (values
        ('volgens_plan', true), ('voortijdig_in_overleg', true), ('uitval', true), ('verlopen', true),
        ('overstap', false), ('ander_domein', false), ('overlijden', false), ('verhuizing', false),
        ('tijdelijk', false), ('gemeente', false), ('overig', false)
    ) as c(eindcategorie, aanbieder_verantwoordelijk)
),
wie as (
    select distinct periode, aanbieder_agb from geeindigd
    union select periode, 'alle' from stg_perioden
)
select
    p.periode,
    p.periode_begin,
    p.periode_eind,
    w.aanbieder_agb,
    c.eindcategorie,
    c.aanbieder_verantwoordelijk,
    coalesce(g.trajecten, 0) as trajecten,
    pd.peildatum
from wie w
join stg_perioden p on p.periode = w.periode
cross join categorieen c
cross join peildatum pd
left join geeindigd g
    on g.periode = w.periode and g.aanbieder_agb = w.aanbieder_agb and g.eindcategorie = c.eindcategorie
