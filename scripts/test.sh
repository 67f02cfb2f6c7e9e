#!/usr/bin/env bash
# The test command: provisions what the tests need (npm packages, Docker,
# a private Redis, the local base image), then type-checks, lints and runs
# every test with Node's test runner. Extra arguments pick test files.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/provision.sh"
export GRANARY_DATA_DIR="${GRANARY_TEST_DATA_DIR:-$GRANARY_ROOT/.tmp/test-data}"
# A private Redis for every test run, whatever the environment says.
unset REDIS_URL
provision
provision_chromium
trap unprovision EXIT
cd "$GRANARY_ROOT"

say "type checking..."
npx --no-install tsc -p .
say "linting..."
npx --no-install eslint --max-warnings 0 .

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find core proxy control-plane grain-images scripts bench test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
fi
say "running ${#files[@]} test files..."
node --import tsx --test --test-reporter=spec --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}"
