#!/usr/bin/env bash
# Runs every test: the TypeScript SDK (Node's test runner against the real server), then the
# Rust workspace (unit, integration against the real server binary, sqllogictest files, the CLI
# in tmux, S3 against s3s-fs). Uses cargo-nextest when installed, cargo test otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
# The install scripts' detection, against fake machine layouts (no cargo needed).
scripts/tests/detect-deps.sh
scripts/install-deps.sh
scripts/install-test-deps.sh
# shellcheck source=lib/deps.sh
. scripts/lib/deps.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kalamdb-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Client and CLI tests start the real server binary; never let them skip silently.
export KALAM_REQUIRE_SERVER=1
# The S3 storage suite runs against a real s3s-fs; never let it skip silently either.
export KALAM_REQUIRE_S3=1
# Cargo's bin (s3s-fs, wasm-bindgen) and a Node.js from the npm registry when one was installed.
deps_setup_path
# Old test executables of earlier builds would fill the disk of a machine that keeps the target.
scripts/prune-target.sh
# kalamdb-types is shared with the WebAssembly client: it must keep building for wasm32.
rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
cargo build -q -p kalamdb-types --target wasm32-unknown-unknown
# Interactive CLI tests drive the shell in tmux (installed above); never skip them silently.
export KALAM_REQUIRE_TMUX=1
# The pgwire tests drive psql and pg8000 (installed above); never skip them silently.
export KALAM_REQUIRE_PSQL=1
export KALAM_REQUIRE_PG8000=1
export KALAM_REQUIRE_POSTGRES=1

# One build of the whole workspace (the same one the test runner uses), so the TypeScript
# tests run against this checkout's server binary.
cargo build -q --workspace --tests
KALAMDB_SERVER_BIN="$CARGO_TARGET_DIR/debug/kalamdb-server" scripts/test-typescript.sh

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast --test-threads 4
else
  cargo test --workspace --no-fail-fast
fi

# Every bundled plugin is a cargo feature of the server: a server with a subset must keep
# building (the default, all of them, is what ran above). The binaries only: a second set of
# test executables would double what the target folder holds.
cargo build -q --workspace --bins --no-default-features \
  --features kalamdb-server/storage-fs,kalamdb-server/serde-json
