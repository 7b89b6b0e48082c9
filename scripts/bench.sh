#!/usr/bin/env bash
# Builds the release and runs the benchmark (scripts/bench.py): page and server-function
# throughput and latency, asset sizes, bulk re-validation time and memory. Loopback only; takes
# about four minutes once built (twice that with --postgres). Figures go to standard output
# (docs/performance.md has the latest).
# Usage: scripts/bench.sh [--postgres] [--seconds N] [--tokens N]
#   --postgres  the same measurements again on a throwaway PostgreSQL cluster (scripts/postgres.sh),
#               printed beside SQLite's
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ARGS=()
POSTGRES=""
for a in "$@"; do
  if [ "$a" = --postgres ]; then POSTGRES=1; else ARGS+=("$a"); fi
done
scripts/setup.sh --with-bench ${POSTGRES:+--with-postgres}
source scripts/env.sh
# --split: the lazy routes (sign-in, Admin, Change password, the drawers) become WASM chunks of their own.
cargo leptos build --release --split
node scripts/precompress.mjs target/site/pkg >/dev/null
if [ -n "$POSTGRES" ]; then
  PG_DIR=$(scripts/postgres.sh start)
  trap 'scripts/postgres.sh stop "$PG_DIR"' EXIT
  ARGS+=(--postgres "postgres://gitpat@127.0.0.1:${GITPAT_PG_PORT:-55432}/postgres")
fi
python3 scripts/bench.py ${ARGS[@]+"${ARGS[@]}"}
