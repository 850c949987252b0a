#!/usr/bin/env bash
# Compute benchmark: times `wmo-monitor compute --all` with GNU time on the
# lake of a deployment of N clients (default 5500, Zwolle). The deployment is
# made with benches/ingest.sh first when SCRATCH holds no lake yet.
# Usage: bash benches/compute.sh [CLIENTS] [SCRATCH]
set -euo pipefail
clients=${1:-5500}
scratch=${2:-/tmp/wmo-bench-$clients}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/wmo-monitor
if [ ! -d "$scratch/data/lake/laadlog" ]; then
    bash "$root/benches/ingest.sh" "$clients" "$scratch"
fi
cd "$scratch"
echo "lake: $(du -sh data/lake | cut -f1), $(ls data/lake/declaratieregels | wc -l) declaration parts"
# From scratch: no kpi table, no earlier run.
rm -rf data/lake/kpi_* data/lake/berekeningen data/lake/_berekening
sync
/usr/bin/time -f "compute --all: %e s wall, %U s user, %S s sys, peak %M KB" "$bin" compute --all
