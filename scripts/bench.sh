#!/usr/bin/env bash
# Builds the release and runs the benchmark (scripts/bench.py): page and server-function
# throughput and latency, asset sizes, bulk re-validation time and memory. Loopback only; takes
# about three minutes once built. Figures go to standard output (docs/performance.md has the
# latest). Usage: scripts/bench.sh [--seconds N] [--tokens N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh --with-bench
source scripts/env.sh
# --split: the lazy routes (sign-in, Admin, Change password, the drawers) become WASM chunks of their own.
cargo leptos build --release --split
node scripts/precompress.mjs target/site/pkg >/dev/null
exec python3 scripts/bench.py "$@"
