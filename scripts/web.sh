#!/usr/bin/env bash
# Prepares what runs in a browser or in Node on a fresh machine:
#   - Debian's chromium (installed with apt-get when /usr/bin/chromium is
#     missing; no browser is downloaded by npm or playwright);
#   - the demo page's npm packages, from its lockfile (npm ci), and its
#     bundle (esbuild, web/dist/app.js);
#   - the @sentry/node peer of the interop checks (examples/interop/node).
# Used by scripts/demo.sh and scripts/test.sh. Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WEB="$ROOT/examples/resetpassword/web"

if ! command -v chromium >/dev/null 2>&1; then
  echo "=== installing Debian's chromium" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi
command -v node >/dev/null 2>&1 || { echo "node is required for the page's build and the browser driver" >&2; exit 1; }

cd "$WEB"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "=== npm ci in examples/resetpassword/web" >&2
  npm ci --no-audit --no-fund >&2
fi
npm run --silent build >&2

PEER="$ROOT/examples/interop/node"
cd "$PEER"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "=== npm ci in examples/interop/node" >&2
  npm ci --no-audit --no-fund >&2
fi
