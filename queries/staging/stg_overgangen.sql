-- Transitions (doorstroom, indicators.md "Transition"): two allocations next to each
-- other in a provider trajectory's order (ingangsdatum, then toewijzingnummer), even
-- when the first still runs, with different product codes. It happens on the second
-- one's ingangsdatum. Products of different models (DIAH -> TO) make an `omklap`;
-- otherwise the monthly tariffs valid that day decide: `lichter`, `zwaarder` or `gelijk`.
-- Choice: a product missing from producten.csv makes the class `onbekend`; it counts
-- in no indicator.
-- * datum: the day it happens (ingangsdatum of the second allocation)
-- * maand: first day of the month of datum
-- * klasse: omklap, lichter, zwaarder, gelijk or onbekend
-- * van_toewijzingnummer, naar_toewijzingnummer: the allocation before and after
-- * van_productcode, naar_productcode: their product codes
-- * van_model, naar_model: their products' model (DIAH or TO)
-- * van_tarief, naar_tarief: their monthly tariffs valid on datum
-- * van_type, naar_type: their TO type (ondersteunend or activerend)
-- * van_intensiteit, naar_intensiteit: their TO intensity (gemiddeld, plus or hoog)
-- Speed: the neighbours come from one window over all rows in trajectory order, without
-- PARTITION BY (DataFusion 55 spends time per window partition); a row's neighbour
-- counts only when it is in the same trajectory.
with opeenvolgend as (
    select
        aanbieder_agb,
        client_sleutel,
        traject_id,
        traject_nr,
        lag(traject_id) over traject_volgorde as van_traject_id,
        lag(toewijzingnummer) over traject_volgorde as van_toewijzingnummer,
        lag(productcode) over traject_volgorde as van_productcode,
        toewijzingnummer as naar_toewijzingnummer,
        productcode as naar_productcode,
        ingangsdatum as datum
    from stg_traject_leden
    where niveau = 'aanbieder'
    window traject_volgorde as (order by traject_id, ingangsdatum, toewijzingnummer)
),
buren as (
    select * from opeenvolgend where van_traject_id = traject_id
)
select
    b.aanbieder_agb,
    b.client_sleutel,
    b.traject_nr,
    b.van_toewijzingnummer,
    b.naar_toewijzingnummer,
    b.van_productcode,
    b.naar_productcode,
    b.datum,
    cast(date_trunc('month', b.datum) as date) as maand,
    b.van_model,
    naar.model as naar_model,
    b.van_tarief,
    naar.tarief_per_maand as naar_tarief,
    b.van_type,
    naar.type as naar_type,
    b.van_intensiteit,
    naar.intensiteit as naar_intensiteit,
    case
        when b.van_model is null or naar.model is null then 'onbekend'
        when b.van_model <> naar.model then 'omklap'
        when naar.tarief_per_maand < b.van_tarief then 'lichter'
        when naar.tarief_per_maand > b.van_tarief then 'zwaarder'
        else 'gelijk'
    end as klasse
-- the tariffs (few) first: a hash join holds its first side in memory
from stg_producttarieven naar
right join (
    select b.*, van.model as van_model, van.tarief_per_maand as van_tarief, van.type as van_type,
        van.intensiteit as van_intensiteit
    from stg_producttarieven van
    right join buren b
        on van.productcode = b.van_productcode and b.datum between van.tarief_van and van.tarief_tot
    where b.van_productcode is not null and b.van_productcode <> b.naar_productcode
) b
    on naar.productcode = b.naar_productcode and b.datum between naar.tarief_van and naar.tarief_tot

