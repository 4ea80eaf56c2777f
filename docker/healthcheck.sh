#!/usr/bin/env bash
# Docker HEALTHCHECK of the KalamDB image, without curl: GET PATH (default /v1/api/healthcheck)
# from 127.0.0.1:$KALAMDB_SERVER_PORT through bash's /dev/tcp. Healthy (exit 0) when the server
# answers 200 with "status":"healthy"; exit 1 otherwise, with the reason on stderr.
# The health endpoints answer loopback clients only, so this runs inside the container.
set -uo pipefail

path="${1:-/v1/api/healthcheck}"
host="${KALAMDB_HEALTHCHECK_HOST:-127.0.0.1}"
port="${KALAMDB_SERVER_PORT:-8080}"

if ! { exec 3<>"/dev/tcp/${host}/${port}"; } 2>/dev/null; then
  echo "kalamdb-healthcheck: nothing listens on ${host}:${port}" >&2
  exit 1
fi
printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: kalamdb-healthcheck\r\nConnection: close\r\n\r\n' \
  "$path" "$host" "$port" >&3
response="$(timeout 5 cat <&3)"
exec 3>&-

status_line="${response%%$'\r'*}"
case "$status_line" in
  "HTTP/1."?" 200"*) ;;
  *)
    echo "kalamdb-healthcheck: ${host}:${port}${path} answered '${status_line:-nothing}'" >&2
    exit 1
    ;;
esac
if [[ "$response" != *'"status":"healthy"'* ]]; then
  echo "kalamdb-healthcheck: ${host}:${port}${path} did not report \"status\":\"healthy\"" >&2
  exit 1
fi
exit 0
