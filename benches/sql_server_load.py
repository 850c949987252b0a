"""Load on the SQL endpoint: CLIENTS connections at once, each running the
kpi queries ROUNDS times, and the first HEAVY of them also each staging
query once, all in a shuffled order of their own, with psycopg 3 (the
extended protocol, as the drivers use it). Prints the latency per query kind
(p50, p95, max) and over all statements, and the statements per second.

Usage: python3 benches/sql_server_load.py PORT CLIENTS ROUNDS [HEAVY]
(the password comes from PGPASSWORD; the user is `bench`), or
python3 benches/sql_server_load.py --queries: each query on a line, its
parameters filled in, for `wmo-monitor sql`.
"""

import os
import random
import statistics
import sys
import threading
import time

import psycopg

# What analysts ask most: kpi tables (small, kept per period) and now and then
# a staging view over the whole lake (the declaration lines, the trajectories).
QUERIES = {
    "kpi_wmo": "select periode, clienten, instroom, uitstroom, gedeclareerd from kpi_wmo "
    "order by periode_begin, periode_eind",
    "kpi_aanbieder": "select a.naam, k.* from kpi_aanbieder k left join stg_aanbieders a using (aanbieder_agb) "
    "where periode = %s order by clienten desc",
    "kpi_stadsdeel": "select * from kpi_stadsdeel where periode = %s",
    "kpi_begroting": "select * from kpi_begroting order by jaar",
    "staging_declaraties": "select aanbieder_agb, count(*) as regels, sum(bedrag) as bedrag "
    "from stg_declaratieregels where maand >= date '2019-10-01' group by aanbieder_agb",
    "staging_trajecten": "select count(*) from stg_trajecten where einddatum is null",
}
PARAMETERS = {"kpi_aanbieder": ("2019-Q4",), "kpi_stadsdeel": ("2019-Q4",)}


def client(port, rounds, heavy, seed, results, errors):
    order = [kind for kind in QUERIES if kind.startswith("kpi_")] * rounds
    if heavy:
        order += [kind for kind in QUERIES if kind.startswith("staging_")]
    random.Random(seed).shuffle(order)
    try:
        with psycopg.connect(host="127.0.0.1", port=port, user="bench", dbname="wmo", sslmode="disable") as conn:
            conn.autocommit = True
            for kind in order:
                began = time.perf_counter()
                conn.execute(QUERIES[kind], PARAMETERS.get(kind)).fetchall()
                results.append((kind, time.perf_counter() - began))
    except Exception as e:  # a failed client is reported, not hidden
        errors.append(repr(e))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    if sys.argv[1] == "--queries":
        for kind, query in QUERIES.items():
            values = tuple(f"'{v}'" for v in PARAMETERS.get(kind, ()))
            print(f"{kind}\t{query % values if values else query}")
        return
    port, clients, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    heavy = int(sys.argv[4]) if len(sys.argv) > 4 else clients
    results, errors = [], []
    threads = [
        threading.Thread(target=client, args=(port, rounds, n < heavy, n, results, errors)) for n in range(clients)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    print(f"{clients} clients x {rounds} rounds of the kpi queries, {heavy} of them also the staging queries: "
          f"{len(results)} statements in {wall:.1f} s "
          f"({len(results) / wall:.1f} per second), {len(errors)} failed clients")
    for error in errors:
        print("  failed:", error)
    print(f"| query | runs | p50 | p95 | max |")
    print(f"|---|---:|---:|---:|---:|")
    for kind in list(QUERIES) + ["all"]:
        times = [t for k, t in results if k == kind or kind == "all"]
        if times:
            print(f"| {kind} | {len(times)} | {statistics.median(times) * 1000:.0f} ms | "
                  f"{percentile(times, 95) * 1000:.0f} ms | {max(times) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
