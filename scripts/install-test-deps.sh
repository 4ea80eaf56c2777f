#!/usr/bin/env bash
# Installs what the tests need beyond the build: s3s-fs (a real S3-compatible server the S3
# storage tests start on 127.0.0.1) and tmux (interactive CLI tests). Idempotent.
set -euo pipefail

S3S_FS_VERSION=0.14.1
if ! command -v s3s-fs >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/s3s-fs" ]; then
  echo "install-test-deps: installing s3s-fs $S3S_FS_VERSION (cargo install, a few minutes)" >&2
  # Its own target folder: never disturb the workspace's build cache.
  CARGO_TARGET_DIR="${TMPDIR:-/tmp}/s3s-fs-build" \
    cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked --quiet
fi

if ! command -v tmux >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "install-test-deps: installing tmux" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq tmux >/dev/null
fi
