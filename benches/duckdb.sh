#!/usr/bin/env bash
# Side by side: `wmo-monitor compute --all` and the same queries/ run by DuckDB
# (benches/duckdb_side_by_side.py) over one lake. First checks that both give
# the same kpi tables cell for cell, then times PAIRS interleaved pairs (the
# engine that goes first alternates), and prints each pair and the median
# ratio of wall times. Only pairs compare: this machine varies by 40% between
# runs minutes apart.
# Usage: bash benches/duckdb.sh [CLIENTS] [SCRATCH] [PAIRS]
set -euo pipefail
clients=${1:-5500}
scratch=${2:-/tmp/wmo-bench-$clients}
pairs=${3:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/wmo-monitor
side_by_side=$root/benches/duckdb_side_by_side.py
if [ ! -d "$scratch/data/lake/laadlog" ]; then
    bash "$root/benches/ingest.sh" "$clients" "$scratch"
fi
cd "$scratch"
lake=$scratch/data/lake
echo "lake: $(du -sh data/lake | cut -f1); DuckDB $(python3 -c 'import duckdb; print(duckdb.__version__)')"

ours() {
    rm -rf data/lake/kpi_* data/lake/berekeningen data/lake/_berekening
    /usr/bin/time -f "%e %M" -o "$scratch/time.txt" "$bin" --quiet compute --all >/dev/null
    cat "$scratch/time.txt"
}
theirs() {
    rm -rf "$scratch/duckdb-kpi"
    /usr/bin/time -f "%e %M" -o "$scratch/time.txt" python3 "$side_by_side" compute "$lake" "$scratch/duckdb-kpi" >/dev/null
    cat "$scratch/time.txt"
}

ours >/dev/null
python3 "$side_by_side" check "$lake" --wmo-monitor "$bin"

printf '%s\n' "pair | wmo-monitor wall s | peak MB | DuckDB wall s | peak MB | ratio"
ratios=()
for i in $(seq 1 "$pairs"); do
    if [ $((i % 2)) -eq 1 ]; then a=$(ours); b=$(theirs); else b=$(theirs); a=$(ours); fi
    read -r a_wall a_peak <<<"$a"
    read -r b_wall b_peak <<<"$b"
    ratio=$(python3 -c "print(f'{$a_wall / $b_wall:.2f}')")
    ratios+=("$ratio")
    echo "$i | $a_wall | $((a_peak / 1024)) | $b_wall | $((b_peak / 1024)) | $ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
echo "median ratio (wmo-monitor / DuckDB, wall): $median"
