#!/usr/bin/env bash
# Installs what the tests need beyond the build, when missing: tmux (interactive CLI tests),
# psql from postgresql-client, a PostgreSQL server and the pg8000 driver from PyPI (the pgwire
# tests),
# Node.js 20 or newer with npm (the TypeScript SDK tests; Debian 12's nodejs is 18, so a newer
# one comes from the npm registry into ~/.cache/kalamdb-tools), s3s-fs (a real S3-compatible
# server the S3 storage tests start on 127.0.0.1) and the wasm-bindgen CLI of exactly the
# version in Cargo.lock. Idempotent. `--check` only lists what is missing (exit 1 when
# something is). Scripts that run the tests call deps_setup_path (scripts/lib/deps.sh) to find
# what was installed here.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/deps.sh
. scripts/lib/deps.sh
deps_setup_path

S3S_FS_VERSION=0.14.1

mapfile -t need < <(deps_missing_test Cargo.lock)
if [ "${1:-}" = "--check" ]; then
  [ ${#need[@]} -eq 0 ] && exit 0
  printf '%s\n' "${need[@]}"
  exit 1
fi

apt=()
for item in "${need[@]}"; do
  case "$item" in
    tmux) apt+=(tmux) ;;
    postgresql-client) apt+=(postgresql-client) ;;
    postgresql) apt+=(postgresql) ;;
    npm) command -v node >/dev/null 2>&1 && apt+=(npm) || apt+=(nodejs npm) ;;
  esac
done
if [ ${#apt[@]} -gt 0 ]; then
  printf 'install-test-deps: ' >&2
  deps_apt_install "${apt[@]}"
fi

for item in "${need[@]}"; do
  case "$item" in
    node\>=*)
      deps_install_node
      deps_setup_path
      if ! deps_have_node; then
        echo "install-test-deps: Node.js $DEPS_NODE_VERSION did not install into $(deps_node_dir)" >&2
        exit 1
      fi
      ;;
    pg8000==*)
      echo "install-test-deps: installing $item (pip, into $(deps_python_dir))" >&2
      python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --no-warn-conflicts \
        --target "$(deps_python_dir)" "$item"
      ;;
    s3s-fs)
      echo "install-test-deps: installing s3s-fs $S3S_FS_VERSION (cargo install, a few minutes)" >&2
      # Its own target folder: never disturb the workspace's build cache.
      CARGO_TARGET_DIR="${TMPDIR:-/tmp}/s3s-fs-build" \
        cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked --quiet
      ;;
    wasm-bindgen-cli@*)
      want="${item#wasm-bindgen-cli@}"
      echo "install-test-deps: installing wasm-bindgen-cli $want (cargo install, about 6 minutes)" >&2
      install_dir="${TMPDIR:-/tmp}/wasm-bindgen-cli-build"
      if ! CARGO_TARGET_DIR="$install_dir" cargo install wasm-bindgen-cli --version "$want" --locked --quiet; then
        # A registry mirror can lack a version the CLI's own lock file names; the exact CLI
        # version is what matters, so resolve its dependencies afresh.
        echo "install-test-deps: the --locked install failed; retrying without --locked" >&2
        CARGO_TARGET_DIR="$install_dir" cargo install wasm-bindgen-cli --version "$want" --quiet
      fi
      ;;
  esac
done

mapfile -t still < <(deps_missing_test Cargo.lock)
if [ ${#still[@]} -gt 0 ]; then
  echo "install-test-deps: still missing after the install: ${still[*]}" >&2
  exit 1
fi
