#!/usr/bin/env bash
# The lint step: ESLint (rules, one import style), Prettier (TS/JS formatting), Debian's black (the
# Python twin) and one file-name case (kebab-case) for every source file. Fails on any finding.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
npx eslint --max-warnings=0 . || status=1
npx prettier --check . --log-level warn || { echo "lint: run 'npx prettier --write .'"; status=1; }
if command -v black >/dev/null 2>&1; then
  black --check -q train || { echo "lint: run 'black train'"; status=1; }
else
  echo "lint: black is missing (bash scripts/setup.sh installs Debian's black)"; status=1
fi
bad=$(git ls-files --cached --others --exclude-standard -- '*.ts' '*.tsx' '*.mjs' '*.js' '*.py' | grep -E '/[^/]*[A-Z][^/]*$' || true)
[ -z "$bad" ] || { echo "lint: file names are kebab-case (snake_case for Python):"; echo "$bad"; status=1; }
exit $status
