# Detection of what the build and the tests need, shared by install-deps.sh, install-test-deps.sh
# and test-typescript.sh. Sourced, never run. Pure checks: nothing here installs anything.
#
# Every check looks at the filesystem under $DEPS_ROOT (empty: the real root) and at commands on
# $PATH, so scripts/tests/detect-deps.sh can run it against fake layouts. $DEPS_DPKG and
# $DEPS_LDCONFIG name the package query and loader-cache commands (tests point them at `false`
# and `true`, i.e. "package not installed" and "empty cache").

DEPS_ROOT="${DEPS_ROOT:-}"
DEPS_DPKG="${DEPS_DPKG:-dpkg}"
DEPS_LDCONFIG="${DEPS_LDCONFIG:-ldconfig}"

# Node.js used by the TypeScript tests: at least this major; when the system's is older (Debian 12
# ships 18), this exact release is taken from the npm registry's node-linux-<arch> package.
DEPS_NODE_MIN_MAJOR=20
DEPS_NODE_VERSION=20.20.2
DEPS_TOOLS_DIR="${KALAM_TOOLS_DIR:-$HOME/.cache/kalamdb-tools}"

_deps_pkg_installed() {
  command -v "$DEPS_DPKG" >/dev/null 2>&1 && "$DEPS_DPKG" -s "$1" >/dev/null 2>&1
}

# Is there a file matching any of the glob patterns (relative to $DEPS_ROOT)?
_deps_any() {
  local pattern
  for pattern in "$@"; do
    compgen -G "$DEPS_ROOT$pattern" >/dev/null && return 0
  done
  return 1
}

# The shared library clang-sys loads at runtime: libclang.so, libclang-<n>.so, libclang.so.<n>,
# libclang-<n>.so.<n> (never libclang-cpp.so.<n>, the C++ API Debian images ship on their own),
# in $LIBCLANG_PATH, the LLVM folders or the loader's paths.
deps_have_libclang_so() {
  local names=('libclang.so' 'libclang-[0-9]*.so' 'libclang.so.[0-9]*' 'libclang-[0-9]*.so.[0-9]*')
  local dirs=('/usr/lib/llvm-*/lib' '/usr/lib' '/usr/lib64' '/usr/local/lib' '/usr/lib/*-linux-gnu')
  local dir name
  if [ -n "${LIBCLANG_PATH:-}" ]; then
    for name in "${names[@]}"; do
      compgen -G "$LIBCLANG_PATH/$name" >/dev/null && return 0
    done
  fi
  for dir in "${dirs[@]}"; do
    for name in "${names[@]}"; do
      _deps_any "$dir/$name" && return 0
    done
  done
  "$DEPS_LDCONFIG" -p 2>/dev/null | grep -Eq '^[[:space:]]*libclang(-[0-9.]+)?\.so([.][0-9]+)*[[:space:]]'
}

# bindgen also needs clang's own headers (stddef.h and friends); libclang1-<n> alone lacks them.
deps_have_clang_headers() {
  _deps_any '/usr/lib/llvm-*/lib/clang/*/include/stddef.h' '/usr/lib/clang/*/include/stddef.h' \
    '/usr/local/lib/clang/*/include/stddef.h'
}

deps_have_libclang() {
  _deps_pkg_installed libclang-dev && return 0
  [ -n "${LIBCLANG_PATH:-}" ] && deps_have_libclang_so && return 0
  deps_have_libclang_so && deps_have_clang_headers
}

deps_have_cxx() {
  command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || command -v clang++ >/dev/null 2>&1
}

# The Debian packages the build needs and lacks, one per line.
deps_missing_build() {
  deps_have_libclang || echo libclang-dev
  deps_have_cxx || echo g++
}

# Major version of the `node` on $PATH, empty when there is none.
deps_node_major() {
  local v
  v=$(node --version 2>/dev/null) || return 0
  v="${v#v}"
  case "${v%%.*}" in
    '' | *[!0-9]*) ;;
    *) echo "${v%%.*}" ;;
  esac
}

deps_have_node() {
  local major
  major=$(deps_node_major)
  [ -n "$major" ] && [ "$major" -ge "$DEPS_NODE_MIN_MAJOR" ]
}

# Where the npm-registry Node.js goes, and its bin folder.
deps_node_dir() { echo "$DEPS_TOOLS_DIR/node-$DEPS_NODE_VERSION"; }
deps_node_bin() {
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch="$(uname -m)" ;;
  esac
  echo "$(deps_node_dir)/node_modules/node-linux-$arch/bin"
}

# Puts the tools the scripts install on $PATH (cargo's bin, the npm-registry Node.js).
deps_setup_path() {
  PYTHONPATH="$(deps_python_dir)${PYTHONPATH:+:$PYTHONPATH}"
  export PYTHONPATH
  PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  local bin
  bin=$(deps_node_bin)
  if [ -x "$bin/node" ]; then PATH="$bin:$PATH"; fi
  export PATH
}

# The wasm-bindgen CLI version the TypeScript SDK needs: exactly the crate's in Cargo.lock.
deps_wasm_bindgen_want() {
  awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "${1:-Cargo.lock}"
}

deps_have_wasm_bindgen() {
  local want="$1" have
  have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }') || true
  [ -n "$want" ] && [ "$have" = "$want" ]
}

deps_have_s3s_fs() { command -v s3s-fs >/dev/null 2>&1; }
deps_have_tmux() { command -v tmux >/dev/null 2>&1; }
deps_have_psql() { command -v psql >/dev/null 2>&1; }
# A PostgreSQL server (initdb, pg_ctl) for the pgwire tests' comparison against PostgreSQL 15.
deps_have_postgres() {
  _deps_any "/usr/lib/postgresql/*/bin/initdb" || command -v initdb >/dev/null 2>&1
}

# pg8000, the pure-Python PostgreSQL driver the pgwire tests use, from PyPI into the tools folder.
DEPS_PG8000_VERSION=1.31.5
deps_python_dir() { echo "$DEPS_TOOLS_DIR/python"; }
deps_have_pg8000() {
  PYTHONPATH="$(deps_python_dir)${PYTHONPATH:+:$PYTHONPATH}" python3 -c 'import pg8000' >/dev/null 2>&1
}

# What the tests need beyond the build and lack, one per line: Debian packages by name, and
# `node>=20`, `s3s-fs`, `wasm-bindgen-cli@<v>` for what comes from the npm registry or crates.io.
deps_missing_test() {
  local lock="${1:-Cargo.lock}" want
  deps_have_tmux || echo tmux
  deps_have_psql || echo postgresql-client
  deps_have_postgres || echo postgresql
  deps_have_pg8000 || echo "pg8000==$DEPS_PG8000_VERSION"
  if ! deps_have_node; then
    command -v npm >/dev/null 2>&1 || echo npm
    echo "node>=$DEPS_NODE_MIN_MAJOR"
  fi
  deps_have_s3s_fs || echo s3s-fs
  want=$(deps_wasm_bindgen_want "$lock")
  deps_have_wasm_bindgen "$want" || echo "wasm-bindgen-cli@$want"
}

# Runs apt-get install for the given Debian packages (sudo when not root).
deps_apt_install() {
  [ $# -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "please install: $*" >&2
    return 1
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing $* (apt-get)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Node.js $DEPS_NODE_VERSION from the npm registry (the node-linux-<arch> package carries the
# binary) into $DEPS_TOOLS_DIR; the system's npm runs on it once deps_setup_path put it first.
deps_install_node() {
  local dir arch
  dir=$(deps_node_dir)
  arch=$(basename "$(dirname "$(deps_node_bin)")")
  echo "installing Node.js $DEPS_NODE_VERSION from the npm registry ($arch) into $dir" >&2
  mkdir -p "$dir"
  npm install --no-audit --no-fund --silent --prefix "$dir" "$arch@$DEPS_NODE_VERSION" >/dev/null
}
