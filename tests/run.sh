#!/usr/bin/env bash
# The test command of the README: installs what the tests need, then runs
# them. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# DuckDB reads the lake as a second, independent Parquet reader; aiosmtpd is
# the real SMTP server deliver sends to, with a test CA from trustme.
# psycopg 3 is a real client of the SQL endpoint that binds parameters on the server.
# pyodbc drives psqlODBC, the ODBC driver Excel and Power BI can reach the endpoint through.
# moto's server is the S3 the lake on object storage is tested against (with boto3 as another client).
if ! python3 -c 'import duckdb, aiosmtpd, trustme, psycopg, pyodbc, moto.server, boto3' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore duckdb aiosmtpd trustme "psycopg[binary]" pyodbc "moto[server]>=5.2"
fi

# The SQL endpoint is tested with real clients from Debian: psql (postgresql-client),
# pgjdbc, the driver of DBeaver and Metabase (libpostgresql-jdbc-java on a JDK), and
# psqlODBC (odbc-postgresql with unixODBC's driver manager).
debian_packages=()
command -v psql >/dev/null || debian_packages+=(postgresql-client)
# JdbcClient.java runs as a single source file, which needs the JDK's compiler.
command -v javac >/dev/null || debian_packages+=(default-jdk-headless)
[ -f /usr/share/java/postgresql.jar ] || debian_packages+=(libpostgresql-jdbc-java)
odbcinst -q -d -n "PostgreSQL Unicode" >/dev/null 2>&1 || debian_packages+=(odbc-postgresql unixodbc)
if [ ${#debian_packages[@]} -gt 0 ]; then
  # A fresh machine may have no package lists yet.
  apt-get install -y -q "${debian_packages[@]}" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q "${debian_packages[@]}" >/dev/null; }
fi

# A fresh checkout gains nothing from incremental builds but their disk space.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# Style and lints are part of the tests: rustfmt.toml's formatting, and no
# clippy warning (Cargo.toml's [lints]: no unsafe code, no unwrap).
cargo fmt --check
cargo clippy --locked --all-targets --quiet -- -D warnings
cargo test --locked "$@"
