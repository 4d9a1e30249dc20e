#!/usr/bin/env bash
# The one start command (README): installs what the server needs, then runs it on its embedded defaults
# (SQLite under ./data, HTTP 127.0.0.1:8080, outbound ESL socket 127.0.0.1:8084; see src/config.ts for env).
set -euo pipefail
cd "$(dirname "$0")/.."
# setup.sh also builds dist/main.js (scripts/build-server.mjs, skipped while src/ is unchanged): production runs
# compiled JavaScript, without tsx's loader and its TypeScript compilation at every start (issue 13). Source
# maps are written (dist/main.js.map) but not loaded: loading them adds about 0.6 s to every start; stack traces
# name our functions anyway (the bundle is not minified). NODE_OPTIONS=--enable-source-maps npm start maps them.
bash scripts/setup.sh
exec node dist/main.js
