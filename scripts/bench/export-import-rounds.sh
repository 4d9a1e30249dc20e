#!/bin/bash
# Interleaved rounds: without background, with background (this tree), and once with background on the tree before.
cd "$(dirname "$0")/../.."
ARGS="--numbers 20000 --agents 100 --seconds 30 --history 300000"
for round in 1 2 3; do
  echo "=== round $round: without background (load $(cut -d' ' -f1 /proc/loadavg))"
  node --import=tsx scripts/bench/campaign.ts $ARGS 2>&1 | grep -E "originates|answer → bridge, idle agent, APP|event-loop|background|APP CPU  "
  echo "=== round $round: with background (load $(cut -d' ' -f1 /proc/loadavg))"
  node --import=tsx scripts/bench/campaign.ts $ARGS --background 2>&1 | grep -E "originates|answer → bridge, idle agent, APP|event-loop|background|APP CPU  "
done
echo "=== before (27bc71d): with background (load $(cut -d' ' -f1 /proc/loadavg))"
cd "${BEFORE_TREE:?set BEFORE_TREE to a checkout of the tree before, with this harness copied in}" && node --import=tsx scripts/bench/campaign.ts $ARGS --background 2>&1 | grep -E "originates|answer → bridge, idle agent, APP|event-loop|background|APP CPU  "
