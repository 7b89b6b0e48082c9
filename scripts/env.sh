# Sourced by the scripts: puts the project's tools first on PATH (npm's sass and wasm-opt
# ahead of any older system copy, which would build a WASM that silently fails to hydrate).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/end2end/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# cargo-leptos builds the server in debug with RUSTFLAGS="--cfg erase_components"; cargo test and
# clippy use the same flags (set per command, as cargo-leptos appends to an exported value) so
# they share one set of compiled dependencies instead of building everything twice.
export GITPAT_TEST_RUSTFLAGS="--cfg erase_components"
