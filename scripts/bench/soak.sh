#!/usr/bin/env bash
# An accelerated soak (issue 13): the campaign (the emulator in its own process, the app compiled) run for a long
# time with a database file, as production has one, printing the app's RSS after a warm-up and at the end. The goal
# is an end RSS within 10% of the warm-up RSS after an hour.
#   bash scripts/bench/soak.sh [seconds=3600] [warm-up seconds=300] [agents=200]
# The numbers are enough for the whole run at ~100 attempts/s; the database goes to a temporary directory removed at
# the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-3600}
warmup=${2:-300}
agents=${3:-200}
numbers=$((seconds * 130))
dir=$(mktemp -d /tmp/cc-soak.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "soak: ${seconds} s, warm-up ${warmup} s, ${agents} agents, ${numbers} numbers, database ${dir}/soak.db; load $(cut -d' ' -f1-3 /proc/loadavg)"
node scripts/bench/compiled.mjs campaign --numbers "$numbers" --agents "$agents" --seconds "$seconds" \
  --warmup-seconds "$warmup" --db "$dir/soak.db"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
