#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, runs the static checks and every test,
# and prints `N passed, N failed`. Extra arguments are passed to tap (e.g. a single test file).
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --test || { echo "0 passed, 1 failed"; exit 1; }

# One throwaway RabbitMQ for the run (issue 20; scripts/rabbitmq/broker.sh), removed however the run ends. Tests that
# need one read CC_TEST_AMQP_URL; without it (it did not start, or a test file is run alone) they start their own.
rabbitmq_dir=$(mktemp -d "${TMPDIR:-/tmp}/cc-rabbitmq.XXXXXX")
pg_dir=$(mktemp -u /tmp/cc-test-pg.XXXXXX)
# One exit trap for both services (a second `trap ... EXIT` would replace the first).
cleanup() {
  bash scripts/postgres/cluster.sh stop "$pg_dir"
  bash scripts/rabbitmq/broker.sh remove "$rabbitmq_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if CC_TEST_AMQP_URL=$(bash scripts/rabbitmq/broker.sh start "$rabbitmq_dir" $$); then
  export CC_TEST_AMQP_URL
else
  echo "RabbitMQ did not start for the run: the tests that need it start their own"
fi

checks_passed=0
checks_failed=0
check() {
  local name=$1; shift
  echo "== $name"
  if "$@"; then checks_passed=$((checks_passed + 1)); else echo "FAILED check: $name"; checks_failed=$((checks_failed + 1)); fi
}
if [ $# -eq 0 ]; then
  check "format (prettier --check)" npx --no-install prettier --check --log-level warn .
  check "lint (eslint, import boundaries)" npx --no-install eslint --config scripts/eslint.config.js .
  check "types (tsc --noEmit)" npx --no-install tsc -p tsconfig.json --noEmit
fi

rm -rf .tap/test-results
# One throwaway PostgreSQL for the whole suite (scripts/postgres/cluster.sh); each test file makes its own database
# in it (test/support/postgres.ts). Stopped and removed however the run ends.
echo "== PostgreSQL for the tests"
CC_TEST_PG_URL=$(bash scripts/postgres/cluster.sh start "$pg_dir") || { echo "0 passed, 1 failed"; exit 1; }
export CC_TEST_PG_URL

echo "== tests (tap)"
npx --no-install tap "$@"
tap_exit=$?
node scripts/count-results.mjs "$checks_passed" "$checks_failed" "$tap_exit"
