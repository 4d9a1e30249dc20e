#!/usr/bin/env bash
# Installs what the server (and, with --test, the test suite) needs on a fresh Debian 12 machine with Node 20.
# Idempotent and quick when nothing changed: npm ci runs only when package-lock.json changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.install-stamp
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== npm ci (better-sqlite3 compiles from source, about 90 s)"
  npm ci --no-fund --no-audit
  echo "$want" > "$stamp"
fi

if [ "${1:-}" = "--test" ] && [ -f scripts/test-system-deps.txt ]; then
  missing=()
  while read -r pkg; do
    [ -z "$pkg" ] || [ "${pkg:0:1}" = "#" ] && continue
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done < scripts/test-system-deps.txt
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== apt-get install ${missing[*]}"
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

if [ "${1:-}" = "--test" ]; then
  # The live tier runs a real FreeSWITCH built from ../shared/vendor/freeswitch (about 7 minutes once, then cached).
  bash scripts/freeswitch/build.sh
fi

for build in scripts/build-*.mjs; do
  [ -e "$build" ] && node "$build"
done
exit 0
