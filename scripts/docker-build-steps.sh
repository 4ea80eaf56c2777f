#!/usr/bin/env bash
# Runs the Dockerfile's steps without Docker, so they are proven on machines that have none.
#
#  1. Checks that the Dockerfile still contains every step mirrored here (base images, the
#     builder's packages and cargo command, the files copied, ENV, USER, VOLUME, EXPOSE,
#     HEALTHCHECK, ENTRYPOINT, CMD) and that docker-compose.yml passes the two secrets: the two
#     files cannot drift apart without this script failing.
#  2. Builder: installs the build's system packages (scripts/install-deps.sh: libclang-dev, as
#     the builder's apt-get) and runs the builder's cargo build into the usual CARGO_TARGET_DIR.
#  3. Runtime: lays out the image in a temporary root (ROOT/usr/local/bin with kalamdb-server,
#     kalam and kalamdb-healthcheck, ROOT/config/server.toml, ROOT/data) and checks that the
#     binaries need no shared library beyond those of the runtime stage.
#  4. Starts the server from that layout with the image's ENTRYPOINT and CMD, the image's ENV
#     (paths moved under ROOT, 127.0.0.1 and a port picked by the server) and the compose file's
#     KALAMDB_ROOT_PASSWORD and KALAMDB_JWT_SECRET; as root it runs as user nobody with only
#     ROOT/data writable, as the image runs as kalamdb. Then runs the image's HEALTHCHECK command
#     and the kalam CLI against it, stops it with SIGTERM as `docker stop` does, expects a clean
#     exit, and expects the healthcheck to fail once the server is gone.
#
# Usage: scripts/docker-build-steps.sh [--no-build] [--debug] [--bin-dir DIR] [--keep] [--check-only]
#   (none)        build with the Dockerfile's cargo command into $CARGO_TARGET_DIR
#                 (default ~/.cache/kalamdb-target, as in the Makefile), then run the rest
#   --no-build    skip cargo: use the binaries already in $CARGO_TARGET_DIR
#   --debug       the dev profile (the binaries `make test` builds) instead of --release
#   --bin-dir DIR skip cargo: use kalamdb-server and kalam from DIR (frontends/server/tests/packaging.rs)
#   --keep        keep the temporary root and the server's logs (the path is printed)
#   --check-only  only step 1 (no build, no server)
set -euo pipefail
cd "$(dirname "$0")/.."

# ---- what this script mirrors (step 1 checks the Dockerfile for each) --------------------------
BUILDER_IMAGE="rust:1-bookworm"
RUNTIME_IMAGE="debian:bookworm-slim"
BUILD_PACKAGES="libclang-dev"
CARGO_BUILD="cargo build --release --locked -p kalamdb-server -p kalam-cli"
BINARIES=(kalamdb-server kalam)
COPY_OUT="cp target/release/kalamdb-server target/release/kalam /out/"
COPY_BINARIES="COPY --from=builder /out/kalamdb-server /out/kalam /usr/local/bin/"
COPY_HEALTHCHECK="COPY --chmod=0755 docker/healthcheck.sh /usr/local/bin/kalamdb-healthcheck"
COPY_CONFIG="COPY docker/server.toml /config/server.toml"
RUNTIME_USER="kalamdb"
DATA_DIR="/data"
PORT="8080"
HEALTH_PATH="/v1/api/healthcheck"
# Shared libraries the runtime stage provides: glibc and libgcc-s1 are in every Debian image,
# libstdc++6 is installed by the runtime stage (checked below).
ALLOWED_LIBS_RE='^(linux-vdso\.so\.1|linux-gate\.so\.1|ld-linux.*\.so\.[0-9]+|libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libgcc_s\.so\.1|libstdc\+\+\.so\.6)$'

no_build=0 debug=0 keep=0 check_only=0 bin_dir=""
while [ $# -gt 0 ]; do
  arg="$1"
  shift
  case "$arg" in
    --no-build) no_build=1 ;;
    --bin-dir)
      [ $# -gt 0 ] || { echo "docker-build-steps: --bin-dir needs a directory" >&2; exit 2; }
      bin_dir="$1" no_build=1
      shift
      ;;
    --debug) debug=1 ;;
    --keep) keep=1 ;;
    --check-only) check_only=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "docker-build-steps: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }
fail() { echo "docker-build-steps: FAILED: $*" >&2; exit 1; }

# ---- 1. the Dockerfile still has the mirrored steps ---------------------------------------------
step "Dockerfile and docker-compose.yml contain the steps this script mirrors"
[ -f Dockerfile ] || fail "no Dockerfile at the repository root"
# Logical instructions: comments dropped, continuation lines joined, blanks squeezed.
DOCKERFILE="$(grep -v '^[[:space:]]*#' Dockerfile \
  | awk '{ if (sub(/\\[[:space:]]*$/, "")) { buf = buf $0 " "; next } print buf $0; buf = "" }' \
  | tr -s ' \t' ' ' | sed 's/^ //; s/ $//')"

has_line() { grep -qxF -- "$1" <<<"$DOCKERFILE" || fail "the Dockerfile has no line '$1'"; }
has_text() { grep -qF -- "$1" <<<"$DOCKERFILE" || fail "the Dockerfile does not contain '$1'"; }
instruction() { grep -E "^$1( |$)" <<<"$DOCKERFILE" || true; }
# Elements of a flat JSON array of strings, one per line: ["a", "b"] -> a, b.
json_array() {
  local s="$1"
  s="${s#*[}"
  s="${s%]*}"
  grep -o '"[^"]*"' <<<"$s" | sed 's/^"//; s/"$//'
}

has_line "FROM $BUILDER_IMAGE AS builder"
has_line "FROM $RUNTIME_IMAGE AS runtime"
grep -E '^RUN .*apt-get install' <<<"$DOCKERFILE" | grep -qw -- "$BUILD_PACKAGES" \
  || fail "the builder no longer installs $BUILD_PACKAGES"
has_text "$CARGO_BUILD"
has_text "$COPY_OUT"
has_line "$COPY_BINARIES"
has_line "$COPY_HEALTHCHECK"
has_line "$COPY_CONFIG"
grep -E '^RUN .*apt-get install' <<<"$DOCKERFILE" | grep -q 'libstdc++6' \
  || fail "the runtime stage no longer installs libstdc++6 (RocksDB is C++)"
grep -E '^RUN .*apt-get install' <<<"$DOCKERFILE" | grep -q 'ca-certificates' \
  || fail "the runtime stage no longer installs ca-certificates"
has_text "useradd --system"
has_line "USER $RUNTIME_USER"
has_line "WORKDIR $DATA_DIR"
has_line "VOLUME $DATA_DIR"
has_line "EXPOSE $PORT"

# ENV of the runtime stage (the last ENV instructions), as KEY=VALUE lines.
IMAGE_ENV="$(awk '/^FROM /{env=""} /^ENV /{sub(/^ENV /,""); env = env $0 "\n"} END{printf "%s", env}' <<<"$DOCKERFILE" \
  | tr ' ' '\n' | grep -E '^KALAMDB_[A-Z_]+=' || true)"
env_value() { grep -E "^$1=" <<<"$IMAGE_ENV" | tail -n1 | cut -d= -f2-; }
[ "$(env_value KALAMDB_SERVER_HOST)" = "0.0.0.0" ] || fail "the image no longer sets KALAMDB_SERVER_HOST=0.0.0.0"
[ "$(env_value KALAMDB_SERVER_PORT)" = "$PORT" ] || fail "the image no longer sets KALAMDB_SERVER_PORT=$PORT"
[ "$(env_value KALAMDB_DATA_DIR)" = "$DATA_DIR" ] || fail "the image no longer sets KALAMDB_DATA_DIR=$DATA_DIR"

HEALTHCHECK_LINE="$(instruction HEALTHCHECK)"
[ -n "$HEALTHCHECK_LINE" ] || fail "the Dockerfile has no HEALTHCHECK"
mapfile -t HEALTHCHECK_CMD < <(json_array "${HEALTHCHECK_LINE#*CMD }")
[ "${HEALTHCHECK_CMD[0]:-}" = "kalamdb-healthcheck" ] \
  || fail "HEALTHCHECK no longer runs kalamdb-healthcheck: $HEALTHCHECK_LINE"
grep -qF "$HEALTH_PATH" <<<"$HEALTHCHECK_LINE" || fail "HEALTHCHECK does not check $HEALTH_PATH"
mapfile -t ENTRYPOINT < <(json_array "$(instruction ENTRYPOINT)")
mapfile -t CMD_ARGS < <(json_array "$(instruction CMD)")
[ "${ENTRYPOINT[*]:-}" = "kalamdb-server" ] || fail "ENTRYPOINT is no longer [\"kalamdb-server\"]"
[ "${CMD_ARGS[*]:-}" = "--config /config/server.toml" ] \
  || fail "CMD is no longer [\"--config\", \"/config/server.toml\"]"
if [ ! -f docker/server.toml ] || [ ! -x docker/healthcheck.sh ]; then
  fail "docker/server.toml or the executable docker/healthcheck.sh is missing"
fi

# The compose file passes the two secrets and uses the same healthcheck.
for key in KALAMDB_ROOT_PASSWORD KALAMDB_JWT_SECRET; do
  grep -qE "^[[:space:]]+-?[[:space:]]*${key}[:=]" docker-compose.yml \
    || fail "docker-compose.yml does not pass $key"
done
grep -qF '"kalamdb-healthcheck"' docker-compose.yml || fail "docker-compose.yml has another healthcheck"
echo "ok: $(wc -l <<<"$DOCKERFILE") Dockerfile instructions checked"
[ "$check_only" = 1 ] && exit 0

# ---- 2. builder ----------------------------------------------------------------------------------
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kalamdb-target}"
profile_dir="release"
build_cmd="$CARGO_BUILD"
if [ "$debug" = 1 ]; then
  profile_dir="debug"
  build_cmd="${CARGO_BUILD/ --release/}"
fi
[ -n "$bin_dir" ] || bin_dir="$CARGO_TARGET_DIR/$profile_dir"
if [ "$no_build" = 1 ]; then
  step "builder: skipped, using the binaries in $bin_dir"
else
  step "builder: system packages ($BUILD_PACKAGES)"
  scripts/install-deps.sh
  step "builder: $build_cmd (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  KALAMDB_BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)" $build_cmd
fi
for bin in "${BINARIES[@]}"; do
  [ -x "$bin_dir/$bin" ] || fail "$bin_dir/$bin is missing: build it first (or drop --no-build)"
done

# ---- 3. runtime layout -------------------------------------------------------------------------
ROOT="$(mktemp -d "${TMPDIR:-/tmp}/kalamdb-image.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ "$keep" = 1 ]; then echo "kept: $ROOT"; else rm -rf "$ROOT"; fi
}
trap cleanup EXIT

step "runtime: layout in $ROOT"
chmod 0755 "$ROOT"
mkdir -p "$ROOT/usr/local/bin" "$ROOT$DATA_DIR" "$ROOT/config"
for bin in "${BINARIES[@]}"; do
  install -m 0755 "$bin_dir/$bin" "$ROOT/usr/local/bin/$bin"
done
install -m 0755 docker/healthcheck.sh "$ROOT/usr/local/bin/kalamdb-healthcheck"
install -m 0644 docker/server.toml "$ROOT/config/server.toml"
(cd "$ROOT" && find . -type f | sort)

run_as=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
  # The image runs as an unprivileged user who may write only the data volume.
  chown "$(id -u nobody):$(id -g nobody)" "$ROOT$DATA_DIR"
  run_as=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups)
  echo "running as: nobody (only $ROOT$DATA_DIR is writable)"
fi

if command -v ldd >/dev/null 2>&1 && [ "$(uname -s)" = Linux ]; then
  step "runtime: shared libraries are those of $RUNTIME_IMAGE plus the runtime stage's packages"
  for bin in "${BINARIES[@]}"; do
    libs="$(ldd "$ROOT/usr/local/bin/$bin")"
    if grep -q 'not found' <<<"$libs"; then
      fail "$bin: $(grep 'not found' <<<"$libs" | tr -s ' \t' ' ')"
    fi
    while read -r lib _; do
      lib="$(basename "$lib")"
      grep -qE "$ALLOWED_LIBS_RE" <<<"$lib" \
        || fail "$bin needs $lib: install its package in the runtime stage, then allow it here"
    done <<<"$libs"
    echo "ok: $bin: $(awk '{print $1}' <<<"$libs" | xargs -n1 basename | tr '\n' ' ')"
  done
fi

# ---- 4. run it as the image would ------------------------------------------------------------------
step "runtime: ${ENTRYPOINT[*]} ${CMD_ARGS[*]} with the image's ENV and the compose secrets"
root_password="docker-steps-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
jwt_secret="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
server_env=(PATH="$ROOT/usr/local/bin:/usr/bin:/bin" HOME="$ROOT$DATA_DIR")
while IFS='=' read -r key value; do
  [ -n "$key" ] || continue
  case "$key" in
    KALAMDB_SERVER_HOST) value="127.0.0.1" ;;  # not 0.0.0.0 on a shared machine
    KALAMDB_SERVER_PORT) value="0" ;;          # the server picks a free port and prints it
    *) [[ "$value" == /* ]] && value="$ROOT$value" ;;
  esac
  server_env+=("$key=$value")
done <<<"$IMAGE_ENV"
server_env+=(KALAMDB_ROOT_PASSWORD="$root_password" KALAMDB_JWT_SECRET="$jwt_secret" KALAMDB_LOG_LEVEL=info)
args=()
for a in "${CMD_ARGS[@]}"; do
  if [[ "$a" == /* ]]; then args+=("$ROOT$a"); else args+=("$a"); fi
done
printf '  %s\n' "${server_env[@]}" | sed -E 's/(PASSWORD|SECRET)=.*/\1=(hidden)/'

(cd "$ROOT$DATA_DIR" && exec env -i "${server_env[@]}" "${run_as[@]}" \
  "$ROOT/usr/local/bin/${ENTRYPOINT[0]}" "${args[@]}") \
  >"$ROOT/server.stdout" 2>"$ROOT/server.stderr" &
server_pid=$!

port=""
for _ in $(seq 1 240); do
  port="$(sed -nE 's/^KalamDB server listening on http:\/\/[^ ]*:([0-9]+)$/\1/p' "$ROOT/server.stdout" | head -n1)"
  [ -n "$port" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$ROOT/server.stderr" >&2
    fail "the server exited before listening"
  fi
  sleep 0.5
done
[ -n "$port" ] || { cat "$ROOT/server.stderr" >&2; fail "the server did not listen within 120 s"; }
echo "listening on 127.0.0.1:$port"

healthcheck() {
  env -i PATH="$ROOT/usr/local/bin:/usr/bin:/bin" KALAMDB_SERVER_PORT="$port" "${run_as[@]}" \
    "$ROOT/usr/local/bin/${HEALTHCHECK_CMD[0]}" "${HEALTHCHECK_CMD[@]:1}"
}
step "runtime: HEALTHCHECK ${HEALTHCHECK_CMD[*]}"
healthy=0
for _ in $(seq 1 20); do
  if healthcheck; then healthy=1; break; fi
  sleep 0.5
done
[ "$healthy" = 1 ] || fail "the healthcheck did not pass"
echo "ok: healthy"
if command -v curl >/dev/null 2>&1; then
  echo "  $(curl -s "http://127.0.0.1:$port$HEALTH_PATH")"
fi

step "runtime: kalam CLI logs in as root with KALAMDB_ROOT_PASSWORD"
env -i PATH="$ROOT/usr/local/bin:/usr/bin:/bin" HOME="$ROOT$DATA_DIR" KALAM_PASSWORD="$root_password" \
  NO_COLOR=1 "${run_as[@]}" "$ROOT/usr/local/bin/kalam" --url "http://127.0.0.1:$port" --user root \
  --command "SELECT 1 AS one" </dev/null \
  || fail "kalam could not run SQL as root"

step "runtime: SIGTERM (docker stop) stops the server cleanly"
kill -TERM "$server_pid"
rc=0
for _ in $(seq 1 60); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
if kill -0 "$server_pid" 2>/dev/null; then
  fail "the server was still running 30 s after SIGTERM (docker would kill it)"
fi
wait "$server_pid" || rc=$?
server_pid=""
[ "$rc" = 0 ] || { cat "$ROOT/server.stderr" >&2; fail "the server exited with status $rc after SIGTERM"; }
echo "ok: exit status 0"
if healthcheck 2>/dev/null; then fail "the healthcheck passes with the server stopped"; fi
echo "ok: the healthcheck fails once the server is gone"
[ -d "$ROOT$DATA_DIR/rocksdb" ] || fail "nothing was written to $DATA_DIR/rocksdb"

step "docker-build-steps: all steps passed"
