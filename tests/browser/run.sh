#!/usr/bin/env bash
# make test-browser: installs puppeteer-core from the committed lock into <output>/npm (npm ci,
# again only when the lock changes), then runs page_test.mjs, which starts netsvcd, drives the
# web page in Debian's headless Chromium and stops netsvcd. Screenshots and the daemon's log go
# to <output>.
#   tests/browser/run.sh <build directory> <output directory>
set -euo pipefail

build=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
binary="$build/daemon/netsvcd"
[ -x "$binary" ] || { echo "run.sh: no netsvcd at $binary (make build first)" >&2; exit 1; }
command -v node >/dev/null || { echo "run.sh: node is missing (apt-get install npm)" >&2; exit 1; }

mkdir -p "$out/npm"
if ! cmp -s "$here/package-lock.json" "$out/npm/installed-lock.json" ||
   [ ! -d "$out/npm/node_modules/puppeteer-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$out/npm/"
  # No install scripts: puppeteer-core has none, and nothing here should download a browser.
  (cd "$out/npm" && timeout 600 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$out/npm/installed-lock.json"
fi

# page_test.mjs has deadlines of its own; this one is for a browser that hangs past them.
exec timeout --kill-after=10 240 node "$here/page_test.mjs" "$binary" "$out" "$out/npm/node_modules"
