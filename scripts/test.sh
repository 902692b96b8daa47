#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing (scripts/setup.sh), type-checks,
# then runs unit tests (pure logic), integration tests (a real Temporal dev server and a real
# PostgreSQL cluster that each file starts and tears down), the production-shape tests and
# end-to-end CLI tests; then the integration tests once more on Temporal in its production shape
# (PostgreSQL persistence and visibility, test/harness.ts). Each pass prints its own summary; the
# script fails if either pass does. On 2 cores each pass takes 20 to 26 minutes, set-up about 5.
# `npm run test:unit` (argument `unit`) runs the unit tier alone: pure logic, the replayed histories
# and the workflow logic on the time-skipping server, in about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
echo "== typecheck" >&2
node_modules/.bin/tsc --noEmit -p tsconfig.json
shopt -s nullglob
run_tests() {
  node --import tsx --test --test-concurrency=1 --test-timeout=900000 "$@"
}
if [[ "${1:-}" == unit ]]; then
  echo "== unit tests" >&2
  exec node --import tsx --test test/unit/*.test.ts
fi
failed=0
echo "== tests" >&2
run_tests test/unit/*.test.ts test/integration/*.test.ts test/production/*.test.ts test/e2e/*.test.ts || failed=1
echo "== integration tests on the production shape" >&2
# Files that need the Web UI stay on the dev server (test/harness.ts) and so ran above already.
mapfile -t production_pass < <(grep -L 'webUi: true' test/integration/*.test.ts)
PROMPTBOX_TEST_TEMPORAL=production run_tests "${production_pass[@]}" || failed=1
exit "$failed"
