#!/usr/bin/env bash
# Keeps the shared cargo target folder from filling the disk: every build of a test with other
# features or sources leaves its old executable beside the new one (each several hundred MB),
# and every clone path gets its own incremental cache. Removes all but the newest executable of
# each name in debug/deps, and incremental caches untouched for six hours.
set -euo pipefail
target="${CARGO_TARGET_DIR:-$HOME/.cache/kalamdb-target}"
deps="$target/debug/deps"
[ -d "$deps" ] || exit 0
find "$deps" -maxdepth 1 -type f -perm -u+x -regextype posix-extended \
  -regex '.*/[A-Za-z0-9_]+-[0-9a-f]{16}' -printf '%T@ %f\n' |
  sort -rn |
  awk '{ name = $2; sub(/-[0-9a-f]{16}$/, "", name); if (seen[name]++) print $2 }' |
  while read -r old; do rm -f "$deps/$old"; done
if [ -d "$target/debug/incremental" ]; then
  find "$target/debug/incremental" -mindepth 1 -maxdepth 1 -type d -mmin +360 -exec rm -rf {} +
fi
