#!/usr/bin/env bash
# The one command that runs every check: set-up, type-check, lint, unit tests (vitest, Node),
# Python tests of the trainer, the production build, and end-to-end tests (Playwright in Debian's Chromium).
# Ends with one summary line `N passed, N failed, N skipped` and a non-zero exit on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || { echo "setup failed"; exit 1; }
mkdir -p reports
rm -f reports/vitest.json reports/playwright.json reports/python.json
status=0

step() { echo; echo "== $1"; shift; "$@" || { echo "!! step failed: $*"; status=1; }; }

step "type-check" npx tsc --noEmit -p .
step "lint" bash scripts/lint.sh
step "python tests (train/)" "${PYTHON:-/usr/bin/python3}" -m train.tests.run
step "unit tests" npx vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json
step "build" npx vite build --logLevel warn
step "end-to-end tests" npx playwright test

echo
node scripts/test-summary.mjs || status=1
exit $status
