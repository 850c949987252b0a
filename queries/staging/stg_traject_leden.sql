-- @stored-during-compute
-- Every current allocation placed in its trajectory, twice: per provider (niveau
-- `aanbieder`, groep = the provider's AGB) and Wmo-wide (niveau `wmo`, groep `alle`).
--
-- CBS chaining (indicators.md, "Trajectory"): a client's allocations in the group,
-- ordered by ingangsdatum then toewijzingnummer, stay in one trajectory while the next
-- ingangsdatum is at most 3 days after the latest effective end so far; an open end
-- (empty effectief_eind) chains everything after it.
-- * niveau: aanbieder (trajectory with one provider) or wmo (over all providers)
-- * groep: the provider's AGB code, or alle for niveau wmo
-- * eind_tot_nu: the latest effective end of the client's allocations before this one in the group (9999-12-31 for an open end); empty for the first
-- * traject_id: the trajectory, numbered over all groups and clients in their order; a client's trajectories have consecutive numbers
-- * traject_nr: the trajectory's number within the client and groep, from 1
--
-- Speed: the windows below run over all rows in one order (group, client, ingangsdatum,
-- toewijzingnummer) without PARTITION BY; DataFusion 55 spends time per window
-- partition, and there are millions of clients. So "the client's rows before this one"
-- is made from a running maximum of reeks × 2^22 + the end as a day number: reeks
-- numbers the (group, client) pairs in that order, so an earlier pair's ends are always
-- smaller, and the maximum belongs to the current client exactly when its reeks is the
-- current one. Day numbers stay below 2^22 (the year 9999 is day 2,932,896).
with leden as (
    select 'aanbieder' as niveau, aanbieder_agb as groep, toewijzingnummer, aanbieder_agb, client_sleutel,
        productcode, ingangsdatum, effectief_eind, reden_beeindiging, eindcategorie
    from stg_toewijzingen_zorg
    union all
    select 'wmo', 'alle', toewijzingnummer, aanbieder_agb, client_sleutel,
        productcode, ingangsdatum, effectief_eind, reden_beeindiging, eindcategorie
    from stg_toewijzingen_zorg
),
gerangschikt as (
    select
        *,
        cast(dense_rank() over (order by niveau, groep, client_sleutel) as bigint) as reeks,
        cast(cast(coalesce(effectief_eind, date '9999-12-31') as int) as bigint) as eind_dag
    from leden
),
lopend as (
    select
        *,
        max(reeks * 4194304 + eind_dag) over (
            order by niveau, groep, client_sleutel, ingangsdatum, toewijzingnummer
            rows between unbounded preceding and 1 preceding
        ) as voorganger
    from gerangschikt
),
gemarkeerd as (
    select
        *,
        voorganger is null or voorganger / 4194304 <> reeks as eerste,
        case when voorganger / 4194304 = reeks then voorganger % 4194304 end as eind_dag_tot_nu
    from lopend
),
genummerd as (
    select
        *,
        sum(case when eerste or cast(cast(ingangsdatum as int) as bigint) > eind_dag_tot_nu + 3 then 1 else 0 end) over (
            order by niveau, groep, client_sleutel, ingangsdatum, toewijzingnummer
            rows between unbounded preceding and current row
        ) as traject_id
    from gemarkeerd
),
met_eerste as (
    select
        *,
        max(case when eerste then traject_id end) over (
            order by niveau, groep, client_sleutel, ingangsdatum, toewijzingnummer
            rows between unbounded preceding and current row
        ) as eerste_traject_id
    from genummerd
)
select
    niveau,
    groep,
    toewijzingnummer,
    aanbieder_agb,
    client_sleutel,
    productcode,
    ingangsdatum,
    effectief_eind,
    reden_beeindiging,
    eindcategorie,
    arrow_cast(cast(eind_dag_tot_nu as int), 'Date32') as eind_tot_nu,
    traject_id,
    traject_id - eerste_traject_id + 1 as traject_nr
from met_eerste
