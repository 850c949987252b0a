-- @partition: periode
-- Clients per period, stadsdeel and CBS group, absolute and per 1,000 residents
-- (indicators.md, kpi_stadsdeel), with a `totaal` row per stadsdeel.
--
-- A client counts in one stadsdeel per period (indicators.md): that of the postcode
-- in the client's newest WMO301 message (by dagtekening, then bericht_identificatie)
-- dated on or before the period's last day, or, when there is none, the oldest
-- message after it; among the messages known on the peildatum. The postcode goes to
-- its stadsdeel via wijken.csv; an unknown or empty postcode goes to `onbekend`. CBS
-- groups of the product category: hulp bij het huishouden (01), ondersteuning thuis
-- (02, 03, 04, 06, 07, 09, 10), hulpmiddelen en diensten (05, 08, 11-14), verblijf en
-- opvang (15-18).
-- Choices where indicators.md leaves room:
-- - every stadsdeel of wijken.csv has a row for every group, 0 when it has no clients;
--   `onbekend` only appears when it has clients;
-- - a category outside the four groups goes to group `overig`;
-- - residents are those on 1 January of the year the period starts in; none for onbekend.
-- * periode: 2019-Q3 or 2019-H2
-- * periode_begin, periode_eind: first and last day of the period
-- * stadsdeel: district, or onbekend
-- * cbs_groep: hulp bij het huishouden, ondersteuning thuis, hulpmiddelen en diensten, verblijf en opvang, or totaal
-- * clienten: distinct clients with an allocation of the group active in the period
-- * inwoners: residents of the stadsdeel on 1 January of the period's year
-- * clienten_per_1000: 1000 x clienten / inwoners
-- * peildatum: the as-of date the figures were computed with
with
-- One row per allocation in a WMO301 message known on the peildatum, with the
-- stadsdeel of its postcode (a message repeats its client's postcode per allocation).
berichten as (
    select b.client_sleutel, b.dagtekening, b.bericht_identificatie, coalesce(w.stadsdeel, 'onbekend') as stadsdeel
    from stg_wijken w
    right join (
        select sleutel(t.client_pseudoniem) as client_sleutel, t.dagtekening, t.bericht_identificatie, t.postcode4
        from toewijzingen t
        cross join peildatum pd
        where t.dagtekening <= pd.peildatum
    ) b on w.postcode4 = b.postcode4
),
-- Most clients have one stadsdeel in every message: they live there in every period,
-- and only the others (movers) need their messages ordered by date. At national scale
-- this is one row per client to join instead of three, and no window over them all.
clienten as (
    select client_sleutel, min(stadsdeel) as stadsdeel, min(stadsdeel) = max(stadsdeel) as vast
    from berichten
    group by client_sleutel
),
-- Per mover and message, from which day to which (exclusive) its stadsdeel holds:
-- from its dagtekening until the next message's. The first holds from the beginning
-- of time, so a period ending before a client's first message takes that message.
verhuisd as (
    select
        client_sleutel,
        stadsdeel,
        case
            when row_number() over (partition by client_sleutel order by dagtekening, bericht_identificatie) = 1
                then date '0001-01-01'
            else dagtekening
        end as vanaf,
        coalesce(
            lead(dagtekening) over (partition by client_sleutel order by dagtekening, bericht_identificatie),
            date '9999-12-31'
        ) as tot
    from (
        select distinct b.client_sleutel, b.dagtekening, b.bericht_identificatie, b.stadsdeel
        from (select client_sleutel from clienten where not vast) c
        join berichten b on b.client_sleutel = c.client_sleutel
    )
),
woonachtig as (
    select client_sleutel, stadsdeel, date '0001-01-01' as vanaf, date '9999-12-31' as tot
    from clienten
    where vast
    union all
    select client_sleutel, stadsdeel, vanaf, tot from verhuisd
),
-- The groups a client has an active allocation in, per period: a row per allocation,
-- not made distinct, as the count below is of distinct clients.
groepen as (
    select
        periode,
        periode_eind,
        client_sleutel,
        case
            when productcategorie = '01' then 'hulp bij het huishouden'
            when productcategorie in ('02', '03', '04', '06', '07', '09', '10') then 'ondersteuning thuis'
            when productcategorie in ('05', '08', '11', '12', '13', '14') then 'hulpmiddelen en diensten'
            when productcategorie in ('15', '16', '17', '18') then 'verblijf en opvang'
            else 'overig'
        end as cbs_groep
    from stg_toewijzing_perioden
),
-- The residences (about one per client) are named first: a hash join holds its first
-- side in memory, and the allocation periods are ten times as many.
ingedeeld as (
    select
        g.periode,
        g.client_sleutel,
        coalesce(wa.stadsdeel, 'onbekend') as stadsdeel,
        g.cbs_groep
    from woonachtig wa
    right join groepen g
        on wa.client_sleutel = g.client_sleutel and g.periode_eind >= wa.vanaf and g.periode_eind < wa.tot
),
-- One pass for both levels (grouping sets): DataFusion computes a CTE again wherever it is named.
geteld as (
    select
        periode,
        stadsdeel,
        case when grouping(cbs_groep) = 1 then 'totaal' else cbs_groep end as cbs_groep,
        count(distinct client_sleutel) as clienten
    from ingedeeld
    group by grouping sets ((periode, stadsdeel, cbs_groep), (periode, stadsdeel))
),
-- Every stadsdeel of wijken.csv in every group; the full join below adds onbekend and
-- overig where they have clients.
rooster as (
    select p.periode, s.stadsdeel, g.cbs_groep
    from stg_perioden p
    cross join (select distinct stadsdeel from stg_wijken) s
    cross join (values ('hulp bij het huishouden'), ('ondersteuning thuis'), ('hulpmiddelen en diensten'),
        ('verblijf en opvang'), ('totaal')) as g(cbs_groep)
),
-- A full join, so that geteld is computed once (DataFusion computes a CTE again
-- wherever it is named).
cellen as (
    select
        coalesce(r.periode, g.periode) as periode,
        coalesce(r.stadsdeel, g.stadsdeel) as stadsdeel,
        coalesce(r.cbs_groep, g.cbs_groep) as cbs_groep,
        coalesce(g.clienten, 0) as clienten
    from rooster r
    full join geteld g on g.periode = r.periode and g.stadsdeel = r.stadsdeel and g.cbs_groep = r.cbs_groep
)
select
    p.periode,
    p.periode_begin,
    p.periode_eind,
    c.stadsdeel,
    c.cbs_groep,
    c.clienten,
    i.inwoners,
    1000 * cast(c.clienten as decimal(38, 10)) / nullif(i.inwoners, 0) as clienten_per_1000,
    pd.peildatum
from cellen c
join stg_perioden p on p.periode = c.periode
cross join peildatum pd
left join stg_inwoners i on i.stadsdeel = c.stadsdeel and i.jaar = date_part('year', p.periode_begin)
