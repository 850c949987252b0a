-- @stored-during-compute
-- One row per product code: the attributes of its newest tariff row (model, maatwerk,
-- and its cell in the TO matrix: resultaatgebieden, type, intensiteit).
select productcode, productcategorie, omschrijving, model, maatwerk, resultaatgebieden, type, intensiteit
from (
    select *, row_number() over (partition by productcode order by geldig_vanaf desc) as nieuwste
    from stg_producttarieven
)
where nieuwste = 1
