#!/usr/bin/env bash
# Installs what is missing and runs every check: formatting, clippy (server and browser
# builds), Rust unit and integration tests (the attack suite, the fault tests and short load and
# crash runs of the built binary among them) on SQLite and again on a throwaway PostgreSQL,
# then the Playwright journeys in Chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh --with-browser --with-postgres --with-smtp
source scripts/env.sh

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (server side and browser side)"
RUSTFLAGS="$GITPAT_TEST_RUSTFLAGS" cargo clippy -p server -p app -p provider-emulator --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "Rust unit and integration tests"
# Parallel test threads: the route list is generated once per process (leptos#4773, see
# docs/spa.md). A request that hangs still fails its test by name after 20 s. The load and crash
# tests (server/tests/it/{load,crash}.rs) run short; GITPAT_LONG_TESTS=1 makes them long.
RUSTFLAGS="$GITPAT_TEST_RUSTFLAGS" cargo test -p server -p app

step "the same Rust tests on PostgreSQL (a throwaway cluster on loopback)"
# The compiled test binaries are reused; only GITPAT_TEST_DATABASE_URL differs. Each test makes
# a database of its own; tests about SQLite itself say so and are skipped.
PG_DIR=$(scripts/postgres.sh start)
trap 'scripts/postgres.sh stop "$PG_DIR"' EXIT
GITPAT_TEST_DATABASE_URL="postgres://gitpat@127.0.0.1:${GITPAT_PG_PORT:-55432}/postgres" \
  RUSTFLAGS="$GITPAT_TEST_RUSTFLAGS" cargo test -p server -p app
scripts/postgres.sh stop "$PG_DIR"
trap - EXIT

step "build the site (cargo leptos build --split: lazy routes as WASM chunks)"
cargo leptos build --split
node scripts/precompress.mjs target/site/pkg

step "Playwright end-to-end journeys"
(cd end2end && npx playwright test)
