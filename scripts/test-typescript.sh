#!/usr/bin/env bash
# Builds and tests the TypeScript SDK (clients/typescript) on this machine, installing what is
# missing: the wasm32-unknown-unknown target, a wasm-bindgen CLI of exactly the version of the
# wasm-bindgen crate in Cargo.lock, and the npm dependencies from package-lock.json. Also checks
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
want=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$want" ]; then
    echo "no wasm-bindgen entry in Cargo.lock" >&2
    exit 1
fi
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
    echo "wasm-bindgen CLI ${have:-missing}, need $want: installing"
    # Its own build folder: the install must not disturb the workspace's build cache.
    install_dir="${TMPDIR:-/tmp}/wasm-bindgen-cli-build"
    if ! CARGO_TARGET_DIR="$install_dir" cargo install wasm-bindgen-cli --version "$want" --locked; then
        # A registry mirror can lack a version the CLI's own lock file names; the exact CLI
        # version is what matters, so resolve its dependencies afresh.
        echo "the --locked install failed; retrying without --locked"
        CARGO_TARGET_DIR="$install_dir" cargo install wasm-bindgen-cli --version "$want"
    fi
fi
command -v node >/dev/null || { echo "node (20 or newer) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is required" >&2; exit 1; }

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
