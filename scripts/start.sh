#!/usr/bin/env bash
# The one start command (README): installs what the server needs, then runs it on its embedded defaults
# (SQLite under ./data, HTTP 127.0.0.1:8080, outbound ESL socket 127.0.0.1:8084; see src/config.ts for env).
set -euo pipefail
cd "$(dirname "$0")/.."
# setup.sh also builds dist/main.js (scripts/build-server.mjs, skipped while src/ is unchanged): production runs
# compiled JavaScript, without tsx's loader and its TypeScript compilation at every start (issue 13).
bash scripts/setup.sh
exec node --enable-source-maps dist/main.js
