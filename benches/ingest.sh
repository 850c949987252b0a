#!/usr/bin/env bash
# Ingest benchmark: writes the demo inbox for N clients (default 100000) in a
# scratch folder, times `cat` of all its files (page cache warm), then times
# `wmo-monitor ingest` on it with GNU time, and prints the ratio.
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
# The floor: reading the same files with cat, page cache warm (the second of two reads).
find inbox reference -type f -print0 | xargs -0 cat >/dev/null
/usr/bin/time -f "%e" -o "$scratch/cat.txt" bash -c 'find inbox reference -type f -print0 | xargs -0 cat >/dev/null'
echo "cat of the same files (warm): $(cat "$scratch/cat.txt") s"
/usr/bin/time -f "%e %U %S %M" -o "$scratch/ingest.txt" "$bin" --quiet ingest
read -r wall user sys peak <"$scratch/ingest.txt"
echo "ingest: $wall s wall, $user s user, $sys s sys, peak $peak KB"
echo "ingest / cat: $(python3 -c "print(f'{$wall / $(cat "$scratch/cat.txt"):.2f}')")"
