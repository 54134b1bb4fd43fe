#!/usr/bin/env bash
# Runs the whole DocuVault test suite, first installing or starting what the
# tests need: Debian's litmus and a PostgreSQL server (TEST_DATABASE_URL).
# Under CI=true a service that cannot be provided fails the run; elsewhere
# the tests that need it are skipped with a message.
set -uo pipefail
cd "$(dirname "$0")/.."

export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
ci="${CI:-}"
missing=0

note() { printf 'test.sh: %s\n' "$*" >&2; }
need() { # need NAME: report a missing service; fatal under CI=true
  if [ "$ci" = "true" ]; then note "FATAL: $1 is not available (CI=true forbids skipping)"; missing=1
  else note "warning: $1 is not available; tests that need it will skip"; fi
}

apt_install() {
  [ "$(id -u)" = 0 ] || return 1
  command -v apt-get >/dev/null || return 1
  if [ -z "${apt_updated:-}" ]; then apt-get update -qq >/dev/null 2>&1; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

# litmus: the WebDAV compliance suite, from Debian.
if ! command -v litmus >/dev/null; then
  note "installing litmus"
  apt_install litmus || true
fi
command -v litmus >/dev/null || need litmus

# Apache httpd with mod_dav: a third-party WebDAV server for the webdav driver.
if ! command -v apache2 >/dev/null && [ ! -x /usr/sbin/apache2 ]; then
  note "installing apache2"
  apt_install apache2 || true
fi
command -v apache2 >/dev/null || [ -x /usr/sbin/apache2 ] || need apache2

# docker-compose (Debian's): only to validate docker-compose.yml; no engine runs.
if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then
  note "installing docker-compose (to validate docker-compose.yml)"
  apt_install docker-compose || true
fi

# MinIO: a real S3 server for the s3 driver (built from source the first
# time, about 5 minutes; cached in GOPATH/bin afterwards).
minio_version=v0.0.0-20260212201848-7aac2a2c5b7c
gobin="$(go env GOPATH)/bin"
if ! command -v minio >/dev/null && [ ! -x "$gobin/minio" ]; then
  note "installing MinIO (first time only, takes a few minutes)"
  go install "github.com/minio/minio@$minio_version" >/dev/null 2>&1 || true
fi
command -v minio >/dev/null || [ -x "$gobin/minio" ] || need minio
export PATH="$PATH:$gobin:/usr/sbin"

# Chromium (Debian's) and npm for the web UI's tests.
if [ ! -x /usr/bin/chromium ]; then
  note "installing chromium (for the UI end-to-end test)"
  apt_install chromium || true
fi
[ -x /usr/bin/chromium ] || need chromium
command -v npm >/dev/null || need npm

# PostgreSQL: start the local cluster if it is down.
pg_up() { command -v pg_isready >/dev/null && pg_isready -q -d "$TEST_DATABASE_URL"; }
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    note "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
fi
if ! pg_up; then
  need "PostgreSQL at TEST_DATABASE_URL"
  [ "$ci" = "true" ] || unset TEST_DATABASE_URL
fi
[ "$missing" = 0 ] || exit 1

gofmt_out=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$gofmt_out" ]; then note "gofmt needed on:"; echo "$gofmt_out" >&2; exit 1; fi
go vet ./... || exit 1

# Packages with concurrency run under the race detector; the end-to-end
# packages drive a separately built server binary and run without it.
race_pkgs=$(go list ./... | grep -v -e /cmd/ -e /internal/testserver)
e2e_pkgs=$(go list ./... | grep -e /cmd/ -e /internal/testserver)
go test -race -count=1 -timeout 20m $race_pkgs || exit 1
go test -count=1 -timeout 25m $e2e_pkgs || exit 1

# The web UI: unit tests, then the browser flow against the real binary
# (screenshots go to a scratch folder; docs/screenshots is refreshed by hand).
if [ -x /usr/bin/chromium ] && command -v npm >/dev/null; then
  (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build && npm test &&
    SCREENSHOT_DIR="$(mktemp -d)" npm run e2e) || exit 1
fi
