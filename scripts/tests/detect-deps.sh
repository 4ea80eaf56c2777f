#!/usr/bin/env bash
# Runs the install scripts' detection (scripts/lib/deps.sh) against fake machine layouts: a
# bare Debian image that only has libclang-cpp.so.<n> must get libclang-dev, an old Node.js
# must be replaced, a wrong wasm-bindgen CLI must be reinstalled, and a complete layout must
# install nothing. Run by scripts/test.sh (so by `make test` and CI).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# A layout: a root folder for files and a bin folder that is the whole $PATH (plus the basic
# tools the checks use), so nothing of this machine leaks in.
layout() {
  local name="$1"
  mkdir -p "$work/$name/root" "$work/$name/bin"
  local tool
  for tool in awk grep basename dirname uname; do
    ln -sf "$(command -v "$tool")" "$work/$name/bin/$tool"
  done
}
file() { mkdir -p "$(dirname "$work/$1")"; : >"$work/$1"; }
fake_cmd() { # layout name, command, what `--version` prints
  printf '#!/bin/sh\necho "%s"\n' "$3" >"$work/$1/bin/$2"
  chmod +x "$work/$1/bin/$2"
}
missing() { # layout name, build|test
  (
    export DEPS_ROOT="$work/$1/root" DEPS_DPKG=false DEPS_LDCONFIG=true
    export PATH="$work/$1/bin" KALAM_TOOLS_DIR="$work/$1/tools"
    unset LIBCLANG_PATH
    # shellcheck source=../lib/deps.sh
    . "$repo/scripts/lib/deps.sh"
    if [ "$2" = build ]; then deps_missing_build; else deps_missing_test "$repo/Cargo.lock"; fi
  ) | tr '\n' ' ' | sed 's/ $//'
}
expect() { # description, actual, expected
  if [ "$2" = "$3" ]; then
    echo "ok - $1"
  else
    echo "not ok - $1: missing '$2', expected '$3'"
    failures=$((failures + 1))
  fi
}

wasm=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
headers=root/usr/lib/llvm-14/lib/clang/14.0.6/include/stddef.h

layout bare
expect "bare machine: libclang-dev and g++" "$(missing bare build)" "libclang-dev g++"
expect "bare machine: every test tool" "$(missing bare test)" "tmux postgresql-client postgresql pg8000==1.31.5 npm node>=20 s3s-fs wasm-bindgen-cli@$wasm"

layout cpp_only
file cpp_only/root/usr/lib/x86_64-linux-gnu/libclang-cpp.so.14
file cpp_only/root/usr/lib/llvm-14/lib/libclang-cpp.so.14
fake_cmd cpp_only c++ "c++ (Debian 12.2.0-14) 12.2.0"
expect "only libclang-cpp.so.14 present: must install libclang-dev" "$(missing cpp_only build)" "libclang-dev"

layout runtime_only
file runtime_only/root/usr/lib/llvm-14/lib/libclang-14.so.1
fake_cmd runtime_only g++ "g++ 12"
expect "libclang1 without clang's headers: must install libclang-dev" "$(missing runtime_only build)" "libclang-dev"

layout dev
file dev/root/usr/lib/llvm-14/lib/libclang.so.1
file dev/root/usr/lib/x86_64-linux-gnu/libclang-14.so.1
file "dev/$headers"
fake_cmd dev c++ "c++ 12"
fake_cmd dev node "v20.20.2"
fake_cmd dev npm "9.2.0"
fake_cmd dev tmux "tmux 3.3a"
fake_cmd dev psql "psql (PostgreSQL) 15.18"
fake_cmd dev initdb "initdb (PostgreSQL) 15.18"
fake_cmd dev python3 "Python 3.11.7"
fake_cmd dev s3s-fs "s3s-fs 0.14.1"
fake_cmd dev wasm-bindgen "wasm-bindgen $wasm"
expect "libclang-dev layout: nothing to build with" "$(missing dev build)" ""
expect "every test tool present: nothing to install" "$(missing dev test)" ""

layout versioned
file versioned/root/usr/lib/x86_64-linux-gnu/libclang-16.so.16
file versioned/root/usr/lib/llvm-16/lib/clang/16/include/stddef.h
fake_cmd versioned clang++ "clang 16"
expect "libclang-16.so.16 in the multiarch folder with headers" "$(missing versioned build)" ""

layout old_tools
fake_cmd old_tools node "v18.19.0"
fake_cmd old_tools npm "9.2.0"
fake_cmd old_tools tmux "tmux 3.3a"
fake_cmd old_tools psql "psql (PostgreSQL) 15.18"
fake_cmd old_tools initdb "initdb (PostgreSQL) 15.18"
fake_cmd old_tools python3 "Python 3.11.7"
fake_cmd old_tools s3s-fs "s3s-fs"
fake_cmd old_tools wasm-bindgen "wasm-bindgen 0.2.1"
expect "Debian 12's Node 18 and a wrong wasm-bindgen: replaced" "$(missing old_tools test)" "node>=20 wasm-bindgen-cli@$wasm"

layout node_installed
fake_cmd node_installed node "v18.19.0"
fake_cmd node_installed npm "9.2.0"
fake_cmd node_installed tmux "tmux"
fake_cmd node_installed psql "psql (PostgreSQL) 15.18"
fake_cmd node_installed initdb "initdb (PostgreSQL) 15.18"
fake_cmd node_installed python3 "Python 3.11.7"
fake_cmd node_installed s3s-fs "s3s-fs"
fake_cmd node_installed wasm-bindgen "wasm-bindgen $wasm"
node_bin=$(KALAM_TOOLS_DIR="$work/node_installed/tools" bash -c ". '$repo/scripts/lib/deps.sh'; deps_node_bin")
mkdir -p "$node_bin"
printf '#!/bin/sh\necho v20.20.2\n' >"$node_bin/node"
chmod +x "$node_bin/node"
got=$(
  export PATH="$work/node_installed/bin" KALAM_TOOLS_DIR="$work/node_installed/tools" HOME="$work"
  . "$repo/scripts/lib/deps.sh"
  deps_setup_path
  deps_missing_test "$repo/Cargo.lock"
)
expect "the npm-registry Node.js in the tools folder is found after deps_setup_path" "$got" ""

if [ "$failures" -gt 0 ]; then
  echo "detect-deps: $failures check(s) failed" >&2
  exit 1
fi
echo "detect-deps: all checks passed"
