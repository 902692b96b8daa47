#!/usr/bin/env bash
# Builds the Temporal server that docker-compose.temporal.yml runs (temporalio/server, same version)
# and its SQL schema tool (temporalio/admin-tools' temporal-sql-tool), for the tests that run the
# production shape without Docker (test/production/). Links them as .tools/bin/temporal-server and
# .tools/bin/temporal-sql-tool, and the module's PostgreSQL schema files as .tools/temporal-schema.
# Built once per version with `go install` (about 3 minutes on 2 cores) and cached outside the
# clone, so a new clone or a CI run reuses them: ${PROMPTBOX_CACHE:-~/.cache/promptbox-backup}.
# Quiet when the cached build is there; says what is missing when it cannot build.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VERSION=v1.29.1   # the temporalio/server image docker-compose.temporal.yml pins
CACHE=${PROMPTBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/promptbox-backup}
BUILD="$CACHE/temporal-server-$VERSION"

log() { printf 'build-temporal-server: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

link_build() {
  mkdir -p "$ROOT/.tools/bin"
  ln -sfn "$BUILD/bin/temporal-server" "$ROOT/.tools/bin/temporal-server"
  ln -sfn "$BUILD/bin/temporal-sql-tool" "$ROOT/.tools/bin/temporal-sql-tool"
  ln -sfn "$BUILD/schema" "$ROOT/.tools/temporal-schema"
}

if [ -x "$BUILD/bin/temporal-server" ] && [ -x "$BUILD/bin/temporal-sql-tool" ] && [ -d "$BUILD/schema/postgresql/v12" ]; then
  link_build
  exit 0
fi

command -v go >/dev/null || die "go is not installed: it builds the Temporal server $VERSION the production-shape tests run. Install Go, or put a build at $BUILD (bin/temporal-server, bin/temporal-sql-tool, schema/)"

log "building Temporal server $VERSION and temporal-sql-tool with go install (about 3 minutes)"
mkdir -p "$CACHE"
# Built aside and moved into place, so an interrupted build is never taken for a finished one.
rm -rf "$BUILD.partial"
mkdir -p "$BUILD.partial/bin"
GOBIN="$BUILD.partial/bin" go install "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION" >&2 \
  || die "go install of go.temporal.io/server $VERSION failed (see above); modules come from the Go module proxy"
mv "$BUILD.partial/bin/server" "$BUILD.partial/bin/temporal-server"
mv "$BUILD.partial/bin/sql" "$BUILD.partial/bin/temporal-sql-tool"
# The schema files ship in the module, not in the binaries: copied out of the module cache, which
# `go clean -modcache` may empty.
MODULE=$(go list -m -f '{{.Dir}}' "go.temporal.io/server@$VERSION")
mkdir -p "$BUILD.partial/schema"
cp -R "$MODULE/schema/postgresql" "$BUILD.partial/schema/"
chmod -R u+w,a+rX "$BUILD.partial/schema"
mv "$BUILD.partial" "$BUILD"
link_build
log "Temporal server: $BUILD"
