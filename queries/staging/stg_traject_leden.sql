-- Every current allocation placed in its trajectory, twice: per provider (niveau
-- `aanbieder`, groep = the provider's AGB) and Wmo-wide (niveau `wmo`, groep `alle`).
--
-- CBS chaining (indicators.md, "Trajectory"): a client's allocations in the group,
-- ordered by ingangsdatum then toewijzingnummer, stay in one trajectory while the next
-- ingangsdatum is at most 3 days after the latest effective end so far; an open end
-- (empty effectief_eind) chains everything after it.
-- * niveau: aanbieder (trajectory with one provider) or wmo (over all providers)
-- * groep: the provider's AGB code, or alle for niveau wmo
-- * eind_tot_nu: the latest effective end of the allocations before this one in the group (9999-12-31 for an open end)
-- * traject_nr: the trajectory's number within the client and groep, from 1
with leden as (
    select 'aanbieder' as niveau, aanbieder_agb as groep, * from stg_toewijzingen_zorg
    union all
    select 'wmo', 'alle', * from stg_toewijzingen_zorg
),
lopend as (
    select
        *,
        max(coalesce(effectief_eind, date '9999-12-31')) over (
            partition by niveau, groep, client_pseudoniem
            order by ingangsdatum, toewijzingnummer
            rows between unbounded preceding and 1 preceding
        ) as eind_tot_nu
    from leden
),
genummerd as (
    select
        *,
        sum(case when eind_tot_nu is null or ingangsdatum > eind_tot_nu + interval '3 days' then 1 else 0 end) over (
            partition by niveau, groep, client_pseudoniem
            order by ingangsdatum, toewijzingnummer
            rows between unbounded preceding and current row
        ) as traject_nr
    from lopend
)
select * from genummerd
