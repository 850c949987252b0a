#!/usr/bin/env python3
"""Calibration of a demo lake against domain.md, read with DuckDB (not a test: run it by hand).

Usage: python3 tests/calibration.py data/lake
"""
import duckdb, sys
con = duckdb.connect()
L = sys.argv[1] if len(sys.argv) > 1 else 'data/lake'
def t(name): return f"read_parquet('{L}/{name}/*.parquet')"
print(con.sql(f"""
select year(product_begin) jaar,
  count(distinct case when productcode like '01H%' then client_pseudoniem end) hh_clients,
  count(distinct case when productcode like '02%' then client_pseudoniem end) ib_clients,
  count(distinct case when productcode like 'T%' then client_pseudoniem end) to_clients,
  count(distinct client_pseudoniem) clients,
  sum(bedrag) spend,
  sum(case when productcode like '01H%' then bedrag end) hh_spend,
  sum(case when productcode like '02%' then bedrag end) ib_spend
from {t('declaratieregels')} group by 1 order by 1"""))
# Size classes as indicators.md counts them: providers without clients are
# those whose contract covers any day of the year.
print(con.sql(f"""
with per as (select year(product_begin) jaar, aanbieder_agb, count(distinct client_pseudoniem) n
             from {t('declaratieregels')} group by 1,2),
     jaren as (select distinct jaar from per),
     gecontracteerd as (
       select j.jaar, a.agb from jaren j, {t('aanbieders')} a
       where coalesce(a.contract_vanaf, date '1900-01-01') <= make_date(j.jaar, 12, 31)
         and coalesce(a.contract_tot, date '2999-12-31') >= make_date(j.jaar, 1, 1))
select g.jaar,
  count(*) filter (where n > 10) meer_dan_10,
  count(*) filter (where n between 1 and 10) van_1_tot_10,
  count(*) filter (where n is null) zonder_clienten,
  round(100.0 * sum(n) filter (where n > 10) / sum(n), 1) pct_bij_grote
from gecontracteerd g left join per p on p.jaar = g.jaar and p.aanbieder_agb = g.agb
group by 1 order by 1"""))
print(con.sql(f"""
with per as (select year(product_begin) jaar, quarter(product_begin) q, aanbieder_agb, count(distinct client_pseudoniem) n from {t('declaratieregels')} group by 1,2,3)
select jaar, q, count(*) filter (where n>10) gt10, count(*) filter (where n between 1 and 10) small from per group by 1,2 order by 1,2"""))
print(con.sql(f"select count(distinct client_pseudoniem) alle_clienten from {t('toewijzingen')}"))
