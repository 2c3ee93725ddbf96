#!/usr/bin/env bash
# Sets up a fresh machine for the tests and runs them all: unit tests, then end-to-end tests on
# a local sandbox of simulated hosts (real sshd, dockerd, Open vSwitch). Ends with one line
# "N passed, N failed". Usage: scripts/test.sh [vitest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-docker.sh
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
# The tests themselves are type-checked too (the build covers src/ only).
npm run --silent typecheck

mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile=test-results/vitest.json "$@" || status=$?
node scripts/test-summary.mjs test-results/vitest.json || status=1
exit "$status"
