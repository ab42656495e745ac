#!/usr/bin/env bash
# Builds the React front end (frontend/) into frontend/dist/ when its sources or lockfile changed.
# Needs Node.js 20.19 or newer. Idempotent: `npm ci` runs when package-lock.json changed, `vite build`
# when anything under frontend/ that goes into the build changed.
set -euo pipefail
cd "$(dirname "$0")/../frontend"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "ERROR: Node.js 20 (with npm) is needed to build the front end, and 'node' was not found." >&2
  echo "       Install Node.js 20.19 or newer (https://nodejs.org/ or your system's packages), then run this again." >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "ERROR: Node.js $(node --version) is too old for the front end's build; install Node.js 20.19 or newer." >&2
  exit 1
fi

lock_digest=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.installed ] || [ "$(cat node_modules/.installed)" != "$lock_digest" ]; then
  echo "==> Installing the front end's packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_digest" > node_modules/.installed
fi

sources_digest=$( (cat package-lock.json vite.config.js; find src -type f | LC_ALL=C sort | xargs cat) | sha256sum | cut -d' ' -f1)
if [ ! -f dist/.vite/manifest.json ] || [ ! -f dist/.built ] || [ "$(cat dist/.built)" != "$sources_digest" ]; then
  echo "==> Building the front end (vite build)"
  npx --no-install vite build --logLevel warn
  echo "$sources_digest" > dist/.built
fi
