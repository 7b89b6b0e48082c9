#!/usr/bin/env bash
# Installs what is missing, builds the release, and runs `gitpat demo` (SQLite under data/,
# demo users and runtimes, the provider emulator). Prints the URL and the demo logins.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
source scripts/env.sh
# --split: the lazy routes (sign-in, Admin, Change password, the drawers) become WASM chunks of their own.
cargo leptos build --release --split
node scripts/precompress.mjs target/site/pkg >/dev/null
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
exec target/release/gitpat demo "$@"
