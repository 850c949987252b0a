#!/usr/bin/env python3
"""The project's own SQL (queries/) run by DuckDB over the same lake.

Two engines on one definition catch what one engine gets wrong: DataFusion 55
gave two wrong results on this SQL that no fixture of ours showed. DuckDB
reads the lake's Parquet files directly; this script translates the few
places where DataFusion's dialect differs from DuckDB's (see `translate`).

    duckdb_side_by_side.py check LAKE [--queries DIR] [--wmo-monitor BIN [--config FILE]]
        Computes every kept kpi table with DuckDB for the periods and the
        peildatum of the lake's latest compute run, and compares it, cell for
        cell, with the rows wmo-monitor kept; with the binary, also the kpi
        views (through its `sql`). Numbers compare by value (to 2e-6), whatever
        type each engine gives them. Exit 1 lists the differences.

    duckdb_side_by_side.py slt SCRIPT... [--queries DIR]
        The hand-computed scripts of tests/indicators/*.slt on DuckDB: each
        fills empty lake tables and checks the views against the figures
        worked out by hand (queries of the signal views are left out).

    duckdb_side_by_side.py compute LAKE OUT [--queries DIR]
        DuckDB's `compute --all`: every period ended by the lake's latest
        Dagtekening, each kept kpi table written to OUT as Parquet, one folder
        per period, rows sorted on every column as compute sorts them.
        Prints the seconds it took (benches/duckdb.sh times pairs of runs).

Needs `pip install duckdb` (tests/run.sh installs it).
"""

import argparse
import datetime
import decimal
import re
import subprocess
import tempfile
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
HIVE_KEYS = ("periode", "jaar")


# --- The dialect edits -----------------------------------------------------


def strip_comments(sql):
    """The SQL without `--` comments (outside quoted text): they name functions too."""
    out, i, quoted = [], 0, False
    while i < len(sql):
        c = sql[i]
        if c == "'":
            quoted = not quoted
        if not quoted and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end
            continue
        out.append(c)
        i += 1
    return "".join(out)


def closing_paren(sql, open_at):
    """The index of the `)` that closes the `(` at open_at."""
    depth, quoted = 0, False
    for i in range(open_at, len(sql)):
        c = sql[i]
        if c == "'":
            quoted = not quoted
        elif not quoted and c == "(":
            depth += 1
        elif not quoted and c == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced parentheses after: {sql[open_at:open_at + 80]!r}")


def split_arguments(text):
    """A call's arguments, split on the commas outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, c in enumerate(text):
        if c == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


# A date column cast to an integer gives its day number in DataFusion; DuckDB
# has no such cast. Which casts are of dates is told by the column's name (the
# queries name dates ...datum, ..._dag, ...eind, maand) or a date literal inside; a
# wrong guess fails loudly, as datediff takes no integer.
DATE_EXPRESSION = re.compile(r"^(?:[a-z_]+\.)?[a-z_]*(?:datum|_dag|eind|maand)$")
INTEGER_CAST = re.compile(r"^(.*)\s+as\s+(bigint|int|integer)$", re.S | re.I)


def rewrite_call(name, args, after):
    """The DuckDB text for DataFusion's `name(args)`, or None to keep it.
    Replacements name functions in capitals, so they are not rewritten again."""
    if name == "named_struct":
        pairs = split_arguments(args)
        fields = [f"{pairs[i].strip(chr(39))} := {pairs[i + 1]}" for i in range(0, len(pairs), 2)]
        return f"STRUCT_PACK({', '.join(fields)})"
    if name == "make_array":
        return f"LIST_VALUE({args})"
    if name == "first_value" and not re.match(r"\s*over\b", after, re.I):
        # DataFusion's first_value(x order by ...) as an aggregate.
        return f"FIRST({args})"
    if name == "arrow_cast":
        value, target = split_arguments(args)
        if target.strip("'").lower() != "date32":
            raise ValueError(f"no translation for arrow_cast to {target}")
        return f"(DATE '1970-01-01' + CAST({value} AS INTEGER))"
    if name == "to_char":
        return f"STRFTIME({args})"
    if name == "generate_series" and "interval" in args.lower():
        # DuckDB's series of dates are timestamps.
        return f"CAST(GENERATE_SERIES({args}) AS DATE[])"
    if name == "sleutel":
        return f"SLEUTEL({args})"
    if name == "cast":
        cast = INTEGER_CAST.match(args.strip())
        if cast:
            inner = cast.group(1).strip()
            if DATE_EXPRESSION.match(inner) or (inner.lower().startswith("coalesce(") and "date '" in inner.lower()):
                return f"DAGNR({inner})"
    return None


CALL = re.compile(r"\b(named_struct|make_array|first_value|arrow_cast|to_char|generate_series|sleutel|cast)\s*\(")


def translate(sql):
    """DataFusion's SQL of one file as DuckDB takes it."""
    sql = strip_comments(sql)
    # DataFusion's table function generate_series names its column `value`.
    sql = re.sub(r"\b(join|from)(\s+)generate_series(\([^()]*\))(?!\s+as\b)", r"\1\2GENERATE_SERIES\3 AS series(value)", sql,
                 flags=re.I)
    position = 0
    while True:
        call = CALL.search(sql, position)
        if not call:
            return sql
        open_at = call.end() - 1
        close_at = closing_paren(sql, open_at)
        replacement = rewrite_call(call.group(1), sql[open_at + 1 : close_at], sql[close_at + 1 :])
        if replacement is None:
            position = call.end()
        else:
            sql = sql[: call.start()] + replacement + sql[close_at + 1 :]
            position = call.start() + 1


# --- The project's query files ---------------------------------------------


class QueryFile:
    def __init__(self, layer, path):
        self.layer, self.name, self.text = layer, path.stem, path.read_text()
        header = []
        for line in self.text.splitlines():
            if not line.lstrip().startswith("--"):
                break
            header.append(line.lstrip()[2:].strip())
        self.partition = next((d.split(":", 1)[1].strip() for d in header if d.startswith("@partition:")), None)
        self.stored = "@stored-during-compute" in header
        self.sql = translate(self.text)


def query_files(folder):
    """The files of queries/, each after the files it reads."""
    files = [QueryFile(layer, p) for layer in ("staging", "marts") for p in sorted((folder / layer).glob("*.sql"))]
    names = {f.name for f in files}
    reads = {f.name: (set(re.findall(r"\w+", f.sql)) & names) - {f.name} for f in files}
    ordered, done = [], set()
    while len(ordered) < len(files):
        ready = [f for f in files if f.name not in done and reads[f.name] <= done]
        if not ready:
            raise SystemExit("the files of queries/ read each other in a circle")
        ordered.extend(ready)
        done.update(f.name for f in ready)
    return ordered


def lake_types(docs):
    """Column names and DuckDB types of each lake table, from docs/tables.md
    (a test keeps it the same as `wmo-monitor tables`): for tables with no part."""
    tables, current, lake_section = {}, None, False
    for line in docs.read_text().splitlines():
        if line.startswith("### "):
            lake_section, current = "Lake tables" in line, None
        heading = re.match(r"^#### `(\w+)`", line)
        if heading and lake_section:
            current = tables.setdefault(heading.group(1), [])
            continue
        row = re.match(r"^\| `(\w+)` \| ([^|;]+)", line)
        if row and current is not None:
            kind = re.match(r"decimal\(\d+,\d+\)|\w+", row.group(2).strip()).group(0)
            duck = {"text": "VARCHAR", "date": "DATE", "integer": "BIGINT", "boolean": "BOOLEAN",
                    "timestamp": "TIMESTAMP"}.get(kind) or kind.upper()
            current.append((row.group(1), duck))
    return tables


def connect(sleutel=None):
    """A DuckDB connection with DataFusion's integer division and the project's functions."""
    con = duckdb.connect()
    con.execute("SET integer_division = true")
    con.execute("CREATE MACRO DAGNR(d) AS datediff('day', DATE '1970-01-01', d)")
    # Any 64-bit key does where sleutel only joins, groups and counts.
    con.execute(sleutel or "CREATE MACRO SLEUTEL(t) AS CAST(hash(t) >> 1 AS BIGINT)")
    return con


def create_views(con, folder, stored_as_tables=False):
    """Every file of queries/ as a view (in the order of what they read)."""
    for f in query_files(folder):
        kind = "TABLE" if stored_as_tables and f.stored else "VIEW"
        try:
            con.execute(f"CREATE {kind} {f.name} AS {f.sql}")
        except duckdb.Error as e:
            raise SystemExit(f"DuckDB cannot create {f.layer}/{f.name}.sql: {e}")


def committed_parts(lake, table):
    """The table's parts of committed batches (those with a laadlog part)."""
    committed = {p.name for p in (lake / "laadlog").glob("part-*.parquet")}
    return sorted(str(p) for p in (lake / table).glob("part-*.parquet") if p.name in committed)


def open_lake(lake, folder, peildatum):
    """A DuckDB session over the lake's committed parts with every view of
    queries/; staging views marked @stored-during-compute are tables, as
    compute stores them once."""
    con = connect()
    con.execute("SET preserve_insertion_order = false")
    types = lake_types(ROOT / "docs" / "tables.md")
    for table in [t for t in types if (lake / t).is_dir() or t in ("quarantaine", "budgetplafonds")]:
        parts = committed_parts(lake, table)
        if parts:
            listed = ", ".join(f"'{p}'" for p in parts)
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet([{listed}])")
        else:
            columns = ", ".join(f"{c} {t}" for c, t in types[table])
            con.execute(f"CREATE TABLE {table} ({columns})")
    con.execute(f"CREATE TABLE peildatum AS SELECT DATE '{peildatum}' AS peildatum")
    create_views(con, folder, stored_as_tables=True)
    return con


def latest_dagtekening(lake):
    con = duckdb.connect()
    dates = []
    for table in ("toewijzingen", "zorgmeldingen", "declaratieregels"):
        parts = committed_parts(lake, table)
        if parts:
            dates.append(con.execute(
                "SELECT max(dagtekening) FROM read_parquet(?) WHERE dagtekening <= current_date", [parts]
            ).fetchone()[0])
    return max(d for d in dates if d)


# --- Comparing ---------------------------------------------------------------


def cell(value):
    """A value as both engines' rows compare: numbers by value (to 1e-6),
    whatever type each engine gave them."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, "b", value)
    if isinstance(value, (int, float, decimal.Decimal)):
        return (1, "n", round(float(value), 6))
    if isinstance(value, (datetime.date, datetime.datetime)):
        return (1, "d", value.isoformat()[:10])
    return (1, "s", str(value))


def close(a, b):
    """Cells equal, or numbers within two millionths of each other (relative): a
    decimal division in one engine is a double in the other, so the sixth
    decimal of a rounded quotient may differ."""
    if a == b:
        return True
    if a[:2] == b[:2] == (1, "n"):
        return abs(a[2] - b[2]) <= 2e-6 * max(1.0, abs(a[2]), abs(b[2]))
    return False


def without_close_pairs(mine, theirs):
    """Both lists of rows without the rows that pair up cell by cell (see `close`)."""
    shape = lambda row: tuple(c if c[:2] != (1, "n") else (1, "n") for c in row)
    waiting = {}
    for row in theirs:
        waiting.setdefault(shape(row), []).append(row)
    unmatched = []
    for row in mine:
        candidates = waiting.get(shape(row), [])
        match = next((i for i, other in enumerate(candidates) if all(map(close, row, other))), None)
        if match is None:
            unmatched.append(row)
        else:
            candidates.pop(match)
    return unmatched, sorted(r for rows in waiting.values() for r in rows)


def rows_of(cursor):
    return sorted(tuple(cell(v) for v in row) for row in cursor.fetchall())


def shown_value(value):
    return "NULL" if value == (0,) else str(value[2])


def shown(row, columns):
    return ", ".join(f"{c}={shown_value(v)}" for c, v in zip(columns, row))


def compare(con, name, ours, key, values):
    """Prints whether DuckDB's rows of `name` for these values of `key` are
    `ours` (a relation); 1 when they differ, else 0."""
    listed = ", ".join(f"'{v}'" for v in values)
    condition = f"CAST({key} AS VARCHAR) IN ({listed})"
    theirs_columns = con.sql(f"SELECT * FROM {name} LIMIT 0").columns
    missing = [c for c in theirs_columns if c not in ours.columns]
    extra = [c for c in ours.columns if c not in theirs_columns]
    if missing or extra:
        print(f"{name}: columns differ: only DuckDB's {missing}, only ours {extra}")
        return 1
    selected = ", ".join(f'"{c}"' for c in ours.columns)
    theirs = rows_of(con.sql(f"SELECT {selected} FROM {name} WHERE {condition}"))
    mine = rows_of(ours)
    total, total_theirs = len(mine), len(theirs)
    if mine != theirs:
        mine, theirs = without_close_pairs(mine, theirs)
    if mine == theirs:
        print(f"{name}: {total} rows, the same")
        return 0
    print(f"{name}: DIFFERENT ({total} rows ours, {total_theirs} DuckDB's)")
    only_mine, only_theirs = list(mine), list(theirs)
    for row in only_mine[:5]:
        # The row of DuckDB's most like it: the cells that differ, named by its text cells.
        same = lambda other: sum(a == b for a, b in zip(row, other))
        nearest = max(only_theirs, key=same, default=None)
        if nearest is None or same(nearest) * 2 < len(row):
            print(f"  only ours: {shown(row, ours.columns)}")
            continue
        only_theirs.remove(nearest)
        named = [(c, a) for c, a, b in zip(ours.columns, row, nearest) if a == b and a[:2] == (1, "s")]
        cells = [f"{c} {shown_value(a)} (DuckDB {shown_value(b)})" for c, a, b in zip(ours.columns, row, nearest) if a != b]
        print(f"  {shown([v for _, v in named], [c for c, _ in named])}: {', '.join(cells)}")
    if not only_mine:
        for row in only_theirs[:5]:
            print(f"  only DuckDB's: {shown(row, ours.columns)}")
    print(f"  ({len(mine)} rows only ours, {len(theirs)} only DuckDB's)")
    return 1


def check(lake, folder, wmo_monitor):
    runs = f"read_parquet('{lake}/berekeningen/part-*.parquet')"
    try:
        kept = {t: (p, str(d)) for t, p, d in duckdb.execute(
            f"SELECT tabel, perioden, peildatum FROM {runs} WHERE berekening_id = (SELECT max(berekening_id) FROM {runs})"
        ).fetchall()}
    except duckdb.IOException:
        kept = {}
    if not kept:
        raise SystemExit(f"{lake} has no compute run to check: run `wmo-monitor compute --all` first")
    peildatum = next(iter(kept.values()))[1]
    con = open_lake(lake, folder, peildatum)
    differences = 0
    files_of = {f.name: f for f in query_files(folder)}
    for f in [f for f in files_of.values() if f.partition and f.name in kept]:
        key, values = f.partition, [v for v in kept[f.name][0].split(",") if v]
        files = [str(p) for v in values for p in sorted((lake / f.name / f"{key}={v}").glob("*.parquet"))]
        if files:
            ours = con.sql("SELECT * FROM read_parquet(?, hive_partitioning = true)", params=[files])
            differences += compare(con, f.name, ours, key, values)
    # The kpi views are computed when read: wmo-monitor's answers come from its `sql`.
    perioden = [v for v in kept.get("kpi_wmo", ("", ""))[0].split(",") if v]
    views = [f for f in files_of.values() if f.layer == "marts" and not f.partition]
    if wmo_monitor and perioden:
        with tempfile.TemporaryDirectory() as scratch:
            for f in views:
                listed = ", ".join(f"'{v}'" for v in perioden)
                answer = Path(scratch) / f"{f.name}.parquet"
                command = [*wmo_monitor, "--quiet", "sql", "--format", "parquet", "--output", str(answer),
                           "-e", f"select * from {f.name} where periode in ({listed})"]
                ran = subprocess.run(command, capture_output=True, text=True)
                if ran.returncode != 0:
                    raise SystemExit(f"wmo-monitor could not read {f.name}: {ran.stderr.strip()}")
                ours = con.sql("SELECT * FROM read_parquet(?)", params=[str(answer)])
                differences += compare(con, f.name, ours, "periode", perioden)
    elif views:
        print(f"kpi views not compared ({', '.join(f.name for f in views)}): name the binary with --wmo-monitor")
    if differences:
        raise SystemExit(f"{differences} kpi table(s) differ between wmo-monitor and DuckDB")
    print(f"DuckDB gives the same rows for every kpi table compared (peildatum {peildatum})")


def compute(lake, out, folder):
    started = time.monotonic()
    con = open_lake(lake, folder, latest_dagtekening(lake))
    perioden = [r[0] for r in con.execute(
        "SELECT periode FROM stg_perioden WHERE afgesloten ORDER BY periode_begin, maanden").fetchall()]
    jaren = sorted({p[:4] for p in perioden})
    out.mkdir(parents=True, exist_ok=True)
    for f in [f for f in query_files(folder) if f.partition]:
        values = jaren if f.partition == "jaar" else perioden
        listed = ", ".join(f"'{v}'" for v in values)
        con.execute(
            f"COPY (SELECT * FROM {f.name} WHERE CAST({f.partition} AS VARCHAR) IN ({listed}) ORDER BY ALL) "
            f"TO '{out / f.name}' (FORMAT parquet, PARTITION_BY ({f.partition}), OVERWRITE_OR_IGNORE)"
        )
    print(f"duckdb compute: {len(perioden)} periods in {time.monotonic() - started:.1f} s")


# The scripts check sleutel's own values: the 64-bit FNV-1a of
# pipeline/engine/functions.rs, over the characters' codes (the same as its
# bytes for ASCII). Too slow for a national lake, where DuckDB's hash does.
EXACT_SLEUTEL = """CREATE MACRO SLEUTEL(t) AS (
    SELECT CAST(CASE WHEN h >= 9223372036854775808 THEN h - 18446744073709551616 ELSE h END AS BIGINT)
    FROM (SELECT list_reduce(list_transform(string_split(t, ''), lambda c: ascii(c)),
        lambda acc, b: (xor(acc, b) * 1099511628211) % 18446744073709551616,
        CAST(14695981039346656037 AS HUGEINT)) AS h))"""


def slt_records(text):
    """The records of a sqllogictest script: ("statement", sql) or ("query", sql, expected lines)."""
    records, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("statement ok") or line.startswith("query"):
            kind, body, i = line.split()[0], [], i + 1
            while i < len(lines) and lines[i].strip() and lines[i].strip() != "----":
                body.append(lines[i])
                i += 1
            expected = []
            if kind == "query" and i < len(lines) and lines[i].strip() == "----":
                i += 1
                while i < len(lines) and lines[i].strip():
                    expected.append(lines[i].strip())
                    i += 1
            records.append((kind, "\n".join(body), expected))
        i += 1
    return records


def shown_cell(value):
    """A value as sqllogictest shows DataFusion's."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(value).lower()
    if value == "":
        return "(empty)"
    return str(value)


def same_line(ours, theirs):
    a, b = ours.split(), theirs.split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        try:
            if abs(float(x) - float(y)) <= 2e-6 * max(1.0, abs(float(x))):
                continue
        except ValueError:
            pass
        return False
    return True


def slt(scripts, folder):
    """The hand-computed scripts of tests/indicators on DuckDB: each starts from
    empty lake tables, fills them, and checks the views against the figures
    worked out by hand."""
    types = lake_types(ROOT / "docs" / "tables.md")
    failures = 0
    for script in scripts:
        con = connect(EXACT_SLEUTEL)
        for table, columns in types.items():
            con.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns)})")
        con.execute("CREATE TABLE peildatum (peildatum DATE)")
        create_views(con, folder)
        checked, signals = 0, 0
        signal_views = {p.stem for p in (folder / "signals").glob("*.sql")}
        for kind, sql, expected in slt_records(Path(script).read_text()):
            sql = translate(sql)
            if kind == "statement":
                con.execute(sql)
                continue
            if signal_views & set(re.findall(r"\w+", sql)):
                # The signals (and their thresholds) are not translated; they read the kpi views checked here.
                signals += 1
                continue
            got = [" ".join(shown_cell(v) for v in row) for row in con.execute(sql).fetchall()]
            checked += 1
            if len(got) != len(expected) or not all(map(same_line, expected, got)):
                failures += 1
                print(f"{Path(script).name}: DIFFERENT for\n{sql}\n  expected (by hand):")
                print("\n".join(f"    {line}" for line in expected))
                print("  DuckDB:")
                print("\n".join(f"    {line}" for line in got))
        left_out = f", {signals} of signal views left out" if signals else ""
        print(f"{Path(script).name}: {checked} queries checked{left_out}")
    if failures:
        raise SystemExit(f"{failures} query(ies) of the hand-computed scripts differ on DuckDB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "compute", "slt"])
    parser.add_argument("paths", type=Path, nargs="+", help="check: LAKE; compute: LAKE OUT; slt: SCRIPT...")
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument("--wmo-monitor", help="the wmo-monitor binary, to compare the kpi views too (run in the "
                        "current folder, or with --config)")
    parser.add_argument("--config", help="the deployment's configuration file, for --wmo-monitor")
    args = parser.parse_args()
    if args.command == "slt":
        slt(args.paths, args.queries)
    elif args.command == "check" and len(args.paths) == 1:
        wmo_monitor = [args.wmo_monitor, *(["--config", args.config] if args.config else [])] if args.wmo_monitor else []
        check(args.paths[0].resolve(), args.queries, wmo_monitor)
    elif args.command == "compute" and len(args.paths) == 2:
        compute(args.paths[0].resolve(), args.paths[1], args.queries)
    else:
        parser.error(f"{args.command} takes {'LAKE' if args.command == 'check' else 'LAKE OUT'}")

if __name__ == "__main__":
    main()
