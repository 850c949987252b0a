#!/usr/bin/env bash
# SQL endpoint benchmark: on a computed deployment (made by benches/ingest.sh
# and benches/compute.sh, or benches/scale_lake.py for national scale), times
# each query of benches/sql_server_load.py in `wmo-monitor sql` (one process
# per query, opening the lake included), then over the endpoint with one
# client and with CLIENTS at once (ROUNDS of the kpi queries each, and HEAVY
# of them also the staging queries), and reports the endpoint's peak memory.
# Usage: bash benches/sql_server.sh SCRATCH [CLIENTS] [ROUNDS] [HEAVY]
set -euo pipefail
scratch=$1
clients=${2:-20}
rounds=${3:-5}
heavy=${4:-4}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
python3 -c 'import psycopg' 2>/dev/null || python3 -m pip install --quiet "psycopg[binary]"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/wmo-monitor
cd "$scratch"
[ -d data/lake/kpi_wmo ] || "$bin" compute --all --quiet
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
config=$scratch/bench-sql-server.toml
"$bin" config | grep -v '^# no \[sql_server\]' > "$config"
printf '\n[sql_server]\nport = %s\nusers = "data/bench-sql-users"\n' "$port" >> "$config"
export PGPASSWORD="bench-password-$RANDOM-$RANDOM"
echo "$PGPASSWORD" | "$bin" --config "$config" users add bench >/dev/null

echo "## wmo-monitor sql, one process per query"
python3 "$root/benches/sql_server_load.py" --queries | while IFS=$'\t' read -r kind query; do
    /usr/bin/time -f "$kind: %e s wall, peak %M KB" "$bin" --config "$config" sql --quiet --format csv -e "$query" >/dev/null
done

"$bin" --config "$config" sql-server >"$scratch/sql-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do sleep 0.5; done
echo "## the endpoint, one client"
python3 "$root/benches/sql_server_load.py" "$port" 1 1 1
echo "## the endpoint, $clients clients at once"
python3 "$root/benches/sql_server_load.py" "$port" "$clients" "$rounds" "$heavy"
echo "endpoint peak memory: $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
