-- @stored-during-compute
-- Every tariff row of the current producten.csv snapshot, with the days it governs
-- (from `tarief_van` up to and including `tarief_tot`).
--
-- indicators.md: use the row valid on the day, and for a day no row covers, the
-- product's latest row before it. So a row governs from its geldig_vanaf up to the day
-- before the product's next row, whatever its geldig_tot says, and the last row governs
-- every later day.
-- Choice: a day before a product's first row (indicators.md is silent) takes that
-- first row, so a product in use always has a tariff.
-- * tarief_van, tarief_tot: the days this row governs (inclusive)
select
    productcode,
    productcategorie,
    omschrijving,
    model,
    maatwerk,
    resultaatgebieden,
    type,
    intensiteit,
    tarief_per_maand,
    geldig_vanaf,
    geldig_tot,
    case when lag(geldig_vanaf) over per_product is null then date '0001-01-01' else geldig_vanaf end as tarief_van,
    coalesce(cast(lead(geldig_vanaf) over per_product - interval '1 day' as date), date '9999-12-31') as tarief_tot
from producten
where laad_id = (select max(laad_id) from producten)
window per_product as (partition by productcode order by geldig_vanaf)
