-- @partition: jaar
-- Spend against budget per year (indicators.md, kpi_begroting): what was declared so
-- far, a straight-line forecast for the year and the saving it means against the
-- previous year, beside the three savings scenarios of begroting.csv.
-- Stored per year (partition `jaar`), not per period: a compute rewrites the years its
-- periods fall in.
-- As indicators.md defines them: a line counts in gerealiseerd when its product period
-- starts on or before the peildatum (a line declared in advance for a later month does
-- not count yet), and maanden_met_data counts the months of the year holding the
-- product-period start of at least one counted line.
-- Choices where indicators.md leaves room:
-- - a line counts in the year of its product-period start (as it counts in its period);
-- - prognose is rounded to cents; it is empty without a month of data;
-- - besparing_prognose is empty when the previous year has no lines.
-- * jaar: calendar year
-- * begroting: the year's budget, euro
-- * gerealiseerd: sum of the declaration lines of the year known on the peildatum whose product period has started by then, euro
-- * maanden_met_data: months of the year holding the product-period start of a counted line
-- * prognose: gerealiseerd / maanden_met_data x 12, euro
-- * besparing_prognose: the previous year's gerealiseerd - prognose, euro
-- * prognose_boven_begroting: prognose - begroting: the projected overspend (negative: underspend), euro
-- * prognose_boven_begroting_pct: 100 x prognose_boven_begroting / begroting
-- * besparing_behoudend: expected saving, scenario behoudend (begroting.csv), euro
-- * besparing_gemiddeld: expected saving, scenario gemiddeld (begroting.csv), euro
-- * besparing_optimaal: expected saving, scenario optimaal (begroting.csv), euro
-- * peildatum: the as-of date the figures were computed with
with
-- per month first: twenty million lines become a few dozen rows
per_maand as (
    select d.maand, sum(d.bedrag) as gerealiseerd
    from stg_declaratieregels d
    cross join peildatum pd
    where d.product_begin <= pd.peildatum
    group by d.maand
),
per_jaar as (
    select
        cast(date_part('year', maand) as bigint) as jaar,
        sum(gerealiseerd) as gerealiseerd,
        count(*) as maanden_met_data
    from per_maand
    group by cast(date_part('year', maand) as bigint)
),
-- the year before from the same rows: DataFusion computes a CTE again wherever it is named
met_vorig as (
    select
        *,
        case when lag(jaar) over (order by jaar) = jaar - 1 then lag(gerealiseerd) over (order by jaar) end
            as vorig_gerealiseerd
    from per_jaar
),
jaren as (
    select
        coalesce(b.jaar, r.jaar) as jaar,
        b.begroting,
        b.besparing_behoudend,
        b.besparing_gemiddeld,
        b.besparing_optimaal,
        r.gerealiseerd,
        r.maanden_met_data,
        r.vorig_gerealiseerd
    from stg_begroting b
    full join met_vorig r on r.jaar = b.jaar
),
met_prognose as (
    select *, cast(gerealiseerd * 12 / maanden_met_data as decimal(18, 2)) as prognose
    from jaren
)
select
    j.jaar,
    j.begroting,
    cast(coalesce(j.gerealiseerd, 0) as decimal(18, 2)) as gerealiseerd,
    coalesce(j.maanden_met_data, 0) as maanden_met_data,
    j.prognose,
    cast(j.vorig_gerealiseerd - j.prognose as decimal(18, 2)) as besparing_prognose,
    j.besparing_behoudend,
    j.besparing_gemiddeld,
    j.besparing_optimaal,
    cast(j.prognose - j.begroting as decimal(18, 2)) as prognose_boven_begroting,
    100 * cast(j.prognose - j.begroting as decimal(38, 10)) / nullif(j.begroting, 0) as prognose_boven_begroting_pct,
    pd.peildatum
from met_prognose j
cross join peildatum pd
