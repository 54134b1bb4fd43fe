#!/usr/bin/env bash
# Starts a DocuVault server on a temporary directory (SQLite + local disk,
# 127.0.0.1, a free port), runs the load tool against it with the sizes from
# the README, then prints the server's peak memory and stops it.
# Extra arguments go to dvload, e.g. ./scripts/bench.sh -only small,propfind
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/docuvault" ./cmd/docuvault
go build -o "$tmp/dvload" ./cmd/dvload
"$tmp/docuvault" user add bench --password-stdin --data "$tmp/data" <<<"bench-password" >/dev/null
"$tmp/docuvault" serve --listen 127.0.0.1:0 --data "$tmp/data" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 100); do
  url=$(sed -n 's|.*listening on \(http://[0-9.:]*\)/dav/.*|\1|p' "$tmp/out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/err" >&2; exit 1; }

DVLOAD_PASS=bench-password "$tmp/dvload" -url "$url/dav/" -user bench "$@"
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status)"
