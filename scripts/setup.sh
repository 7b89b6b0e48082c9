#!/usr/bin/env bash
# Installs everything gitpat needs to build, run and test on a fresh Debian machine with
# rustup, node and npm present. Idempotent: each step is skipped when already done.
# Usage: scripts/setup.sh [--with-browser] [--with-postgres] [--with-smtp] [--with-bench]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARGS=("$@")
CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.130
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# Some published lock files of these tools pin crates this toolchain cannot build; install from
# a copy of the crate's source with one dependency moved to a version that fits.
install_from_source() { # crate version binary-check pin-crate pin-version [extra install args]
  local crate=$1 version=$2 pin=$3 pin_version=$4
  shift 4
  local src
  src=$(ls -d "$CARGO_HOME"/registry/src/*/"$crate-$version" 2>/dev/null | head -n1 || true)
  if [ -z "$src" ]; then
    # This install fails on the locked pin, but leaves the crate's source in the registry cache.
    cargo install "$crate" --version "$version" --locked >/dev/null 2>&1 || true
    src=$(ls -d "$CARGO_HOME"/registry/src/*/"$crate-$version" 2>/dev/null | head -n1 || true)
  fi
  [ -n "$src" ] || { echo "could not fetch the source of $crate $version" >&2; exit 1; }
  local work
  work=$(mktemp -d)
  cp -r "$src" "$work/$crate"
  (cd "$work/$crate" && cargo update -p "$pin" --precise "$pin_version" && cargo install --path . --locked "$@")
  rm -rf "$work"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null || true)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 10 minutes, once per machine)"
  install_from_source cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-util-schemas 0.14.1 --features no_downloads
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  install_from_source wasm-bindgen-cli "$WASM_BINDGEN_VERSION" webpki-roots 1.0.10
fi

# npm gives Playwright, sass and a wasm-opt (binaryen) recent enough: Debian's breaks hydration.
if [ ! -d "$ROOT/end2end/node_modules" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
  log "installing npm packages (Playwright, sass, binaryen)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
fi

apt_install() { # package…
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
wants() { local a; for a in "${ARGS[@]}"; do [ "$a" = "$1" ] && return 0; done; return 1; }
if wants --with-browser && [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium for the browser tests"
  apt_install chromium
fi
if wants --with-postgres && ! ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  log "installing Debian's postgresql for the tests on PostgreSQL"
  apt_install postgresql
fi
# The reminder-mail tests deliver to a real SMTP server: Python's aiosmtpd, from PyPI.
if wants --with-smtp && ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  log "installing aiosmtpd (PyPI) for the reminder-mail tests"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'aiosmtpd==1.4.6'
fi
if wants --with-bench && ! command -v wrk >/dev/null; then
  log "installing Debian's wrk for the benchmark"
  apt_install wrk
fi
log "tools ready"
