#!/usr/bin/env bash
# Builds and tests the TypeScript SDK (clients/typescript) on this machine, installing what is
# missing: the wasm32-unknown-unknown target, Node.js >= 20, a wasm-bindgen CLI of exactly the
# version of the wasm-bindgen crate in Cargo.lock (both through scripts/install-test-deps.sh),
# and the npm dependencies from package-lock.json. Also checks
# that kalam-link itself compiles for wasm32. The Node tests start the real server:
# $KALAMDB_SERVER_BIN, else $CARGO_TARGET_DIR/debug/kalamdb-server (built here when missing).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
# shellcheck source=lib/deps.sh
. scripts/lib/deps.sh
deps_setup_path
want=$(deps_wasm_bindgen_want Cargo.lock)
if [ -z "$want" ]; then
    echo "no wasm-bindgen entry in Cargo.lock" >&2
    exit 1
fi
if ! deps_have_wasm_bindgen "$want" || ! deps_have_node || ! command -v npm >/dev/null; then
    # Node.js >= 20, npm and the exact wasm-bindgen CLI: installed when missing.
    scripts/install-test-deps.sh
    deps_setup_path
fi
echo "node $(node --version), npm $(npm --version), wasm-bindgen $want"

step "kalam-link compiles for wasm32"
cargo check --target wasm32-unknown-unknown -p kalam-link -p kalam-link-wasm

step "server binary"
if [ -z "${KALAMDB_SERVER_BIN:-}" ]; then
    if [ ! -x "$target_dir/debug/kalamdb-server" ]; then
        cargo build -p kalamdb-server --bin kalamdb-server
    fi
    export KALAMDB_SERVER_BIN="$target_dir/debug/kalamdb-server"
fi
echo "using $KALAMDB_SERVER_BIN"
export KALAM_REQUIRE_SERVER=1

cd clients/typescript
step "npm dependencies"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

step "build (wasm + package)"
npm run build

step "tests"
npm test
