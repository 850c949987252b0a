#!/usr/bin/env bash
# Ingest benchmark: writes the demo inbox for N clients (default 100000) in a
# scratch folder, then times `wmo-monitor ingest` on it with GNU time.
# Usage: bash benches/ingest.sh [CLIENTS] [SCRATCH]
set -euo pipefail
clients=${1:-100000}
scratch=${2:-/tmp/wmo-bench-$clients}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/wmo-monitor
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
/usr/bin/time -f "demo files: %e s, peak %M KB" "$bin" --quiet demo --no-ingest --clients "$clients"
echo "inbox: $(find inbox -type f | wc -l) files, $(du -sb inbox | cut -f1) bytes"
sync
/usr/bin/time -f "ingest: %e s wall, %U s user, %S s sys, peak %M KB" "$bin" --quiet ingest
