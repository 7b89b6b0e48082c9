# Sourced by the scripts: puts the project's tools first on PATH (npm's sass and wasm-opt
# ahead of any older system copy, which would build a WASM that silently fails to hydrate).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/end2end/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
