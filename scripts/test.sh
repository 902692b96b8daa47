#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing (scripts/setup.sh), type-checks,
# then runs unit tests (pure logic), integration tests (a real Temporal dev server and a real
# PostgreSQL cluster that each file starts and tears down) and end-to-end CLI tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
echo "== typecheck" >&2
node_modules/.bin/tsc --noEmit -p tsconfig.json
echo "== tests" >&2
shopt -s nullglob
exec node --import tsx --test --test-concurrency=1 --test-timeout=900000 \
  test/unit/*.test.ts test/integration/*.test.ts test/production/*.test.ts test/e2e/*.test.ts
