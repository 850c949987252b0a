-- Spend against budget per year (indicators.md, kpi_begroting): what was declared so
-- far, a straight-line forecast for the year and the saving it means against the
-- previous year, beside the three savings scenarios of begroting.csv.
-- Stored per year (partition `jaar`), not per period: a compute rewrites the years its
-- periods fall in.
-- Choices where indicators.md leaves room:
-- - a line counts in the year of its product-period start (as it counts in its period);
-- - maanden_met_data counts the months of the year with at least one line;
-- - prognose is rounded to cents; it is empty without a month of data;
-- - besparing_prognose is empty when the previous year has no lines.
-- * jaar: calendar year
-- * begroting: the year's budget, euro
-- * gerealiseerd: sum of the declaration lines of the year known on the peildatum, euro
-- * maanden_met_data: months of the year with declaration lines
-- * prognose: gerealiseerd / maanden_met_data x 12, euro
-- * besparing_prognose: the previous year's gerealiseerd - prognose, euro
-- * besparing_behoudend: expected saving, scenario behoudend (begroting.csv), euro
-- * besparing_gemiddeld: expected saving, scenario gemiddeld (begroting.csv), euro
-- * besparing_optimaal: expected saving, scenario optimaal (begroting.csv), euro
-- * peildatum: the as-of date the figures were computed with
with
per_jaar as (
    select
        cast(date_part('year', maand) as bigint) as jaar,
        sum(bedrag) as gerealiseerd,
        count(distinct maand) as maanden_met_data
    from stg_declaratieregels
    group by cast(date_part('year', maand) as bigint)
),
jaren as (
    select jaar from stg_begroting
    union select jaar from per_jaar
)
select
    j.jaar,
    b.begroting,
    cast(coalesce(r.gerealiseerd, 0) as decimal(18, 2)) as gerealiseerd,
    coalesce(r.maanden_met_data, 0) as maanden_met_data,
    cast(r.gerealiseerd * 12 / r.maanden_met_data as decimal(18, 2)) as prognose,
    cast(vorig.gerealiseerd - cast(r.gerealiseerd * 12 / r.maanden_met_data as decimal(18, 2)) as decimal(18, 2))
        as besparing_prognose,
    b.besparing_behoudend,
    b.besparing_gemiddeld,
    b.besparing_optimaal,
    pd.peildatum
from jaren j
cross join peildatum pd
left join stg_begroting b on b.jaar = j.jaar
left join per_jaar r on r.jaar = j.jaar
left join per_jaar vorig on vorig.jaar = j.jaar - 1
