#!/usr/bin/env bash
# HTTP load on the wordfinder listener with wrk (keep-alive): one cached rack, then random
# uncached 7-letter racks. Runs netsvcd from BUILD_DIR on a loopback port; every run is bounded
# (DURATION seconds each). Usage: bench/wordfinder_http.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
duration=${DURATION:-10}
threads=${THREADS:-2}
connections=${CONNECTIONS:-64}
port=${PORT:-18481}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT

cat > "$dir/netsvcd.yaml" <<YAML
threads: $threads
log_level: warning
listeners:
  - name: words
    kind: wordfinder
    listen: ["127.0.0.1:$port"]
YAML
"$build/daemon/netsvcd" --config "$dir/netsvcd.yaml" &
pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.05
done

echo "== cached: GET /lexical, $connections connections, ${duration}s"
wrk -t2 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/lexical"
echo
echo "== uncached: random 7-letter racks, $connections connections, ${duration}s"
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$here/random_racks.lua" "http://127.0.0.1:$port"
