#!/usr/bin/env bash
# The benchmark (bench/README.md): installs what it needs, then runs bench/run.ts with the
# given options. Not part of the test suite (which runs `--smoke` only); takes about 40 minutes at the
# default size on a 2-core machine, and wants the machine to itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh bench
# The orchestration rows also run on the production-shaped server (Temporal 1.29.1 on PostgreSQL).
bash scripts/build-temporal-server.sh
exec node --import tsx bench/run.ts "$@"
