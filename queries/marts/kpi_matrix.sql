-- The TO matrix per period, for each provider and Wmo-wide (aanbieder_agb `alle`):
-- clients per cell of resultaatgebieden and type (six rows) by intensiteit (three
-- columns), the 18 arrangements of the new model (indicators.md, kpi_arrangement).
-- A view over the kept kpi_arrangement and kpi_aanbieder_arrangement: computed when read.
-- Choices: a cell adds up the clients of its products (a client on two products of one
-- cell counts twice); TO maatwerk stands outside the matrix; Wmo-wide counts come from
-- kpi_arrangement (distinct clients per product over all providers); every provider
-- with a row in kpi_aanbieder_arrangement gets all six rows, empty cells 0.
-- * periode: 2019-Q3 or 2019-H2
-- * aanbieder_agb: the provider, or alle
-- * rij: 1-6, the matrix's row order
-- * resultaatgebieden: 1-2, 3-4 or 5-6
-- * type: ondersteunend or activerend
-- * gemiddeld: clients on products of the cell with intensiteit gemiddeld
-- * plus: clients on products of the cell with intensiteit plus
-- * hoog: clients on products of the cell with intensiteit hoog
with
cellen as (
    select * from (values
        (1, '1-2', 'ondersteunend'), (2, '1-2', 'activerend'),
        (3, '3-4', 'ondersteunend'), (4, '3-4', 'activerend'),
        (5, '5-6', 'ondersteunend'), (6, '5-6', 'activerend')
    ) as c (rij, resultaatgebieden, type)
),
matrixproducten as (
    select periode, productcode, resultaatgebieden, type, intensiteit
    from kpi_arrangement
    where model = 'TO' and coalesce(maatwerk, '') <> 'ja'
),
per_product as (
    select periode, 'alle' as aanbieder_agb, productcode, clienten from kpi_arrangement
    union all
    select periode, aanbieder_agb, productcode, clienten from kpi_aanbieder_arrangement
),
niveaus as (
    select distinct periode, aanbieder_agb from per_product
),
per_cel as (
    select
        pp.periode, pp.aanbieder_agb, m.resultaatgebieden, m.type,
        sum(case when m.intensiteit = 'gemiddeld' then pp.clienten else 0 end) as gemiddeld,
        sum(case when m.intensiteit = 'plus' then pp.clienten else 0 end) as plus,
        sum(case when m.intensiteit = 'hoog' then pp.clienten else 0 end) as hoog
    from per_product pp
    join matrixproducten m on m.periode = pp.periode and m.productcode = pp.productcode
    group by pp.periode, pp.aanbieder_agb, m.resultaatgebieden, m.type
)
select
    n.periode,
    n.aanbieder_agb,
    c.rij,
    c.resultaatgebieden,
    c.type,
    coalesce(t.gemiddeld, 0) as gemiddeld,
    coalesce(t.plus, 0) as plus,
    coalesce(t.hoog, 0) as hoog
from niveaus n
cross join cellen c
left join per_cel t
    on t.periode = n.periode and t.aanbieder_agb = n.aanbieder_agb
    and t.resultaatgebieden = c.resultaatgebieden and t.type = c.type
