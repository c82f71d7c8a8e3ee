#!/usr/bin/env bash
# Runs the worker's HTTP suite against `wrangler dev` (workerd, offline):
# starts worker/dev.sh on a free port in its own process group, waits for
# /health, runs TestWorkerSuite (every route and error, ranges, 304, CORS,
# traversal, limits, SSE, greedy parity with transformers, concurrent load,
# cold vs warm timings) and the openai-client suite (test/openai, also run
# against `lamina serve`), then restarts the worker in per-request instance
# mode (syumai/workers' default) and times that for comparison. Exits
# non-zero when anything fails.
#   worker/test/run.sh [MODELS_DIR]   (default: the fixtures worker/testdata/models.txt lists,
#                                      assembled by scripts/testmodels.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
worker=$(cd "$here/.." && pwd)
root=$(cd "$worker/.." && pwd)
models=${1:-}
GO=${GO:-go}
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
export GO

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pgid=""
log=$(mktemp)
bin=$(mktemp -d)
stop() {
  if [ -n "$pgid" ]; then
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pgid" 2>/dev/null || true
    pgid=""
  fi
}
trap 'stop; rm -rf "$log" "$bin"' EXIT
if [ -z "$models" ]; then
  models="$bin/models"
  "$root/scripts/testmodels.sh" "$worker/testdata/models.txt" "$models"
fi
models=$(cd "$models" && pwd)

# start PORT [wrangler args...]: dev.sh in a new session (its own process
# group), then wait up to 5 minutes (build + seed + boot) for /health.
start() {
  local port=$1; shift
  : >"$log"
  setsid "$worker/dev.sh" "$port" "$models" "$@" >"$log" 2>&1 &
  pgid=$!
  for _ in $(seq 1 300); do
    if ! kill -0 "$pgid" 2>/dev/null; then
      echo "run.sh: dev.sh exited:" >&2; cat "$log" >&2; return 1
    fi
    # The first answered /health also boots the Go instance (the
    # per-request mode below times instance boots on their own).
    if t=$(curl -sf -m 30 -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/health" 2>/dev/null); then
      echo "run.sh: worker up on 127.0.0.1:$port; first answered /health ${t}s (includes workerd start-up and the Go instance boot)"
      return 0
    fi
    sleep 1
  done
  echo "run.sh: worker did not answer /health:" >&2; cat "$log" >&2
  return 1
}

# A site folder of our own: wrangler dev reloads the worker when its assets
# change, and dist/site may be rebuilt while the suite runs. The suite
# checks this file is served as a static asset.
mkdir -p "$bin/site"
marker="lamina asset check $$ $RANDOM"
echo "$marker" > "$bin/site/lamina-asset-check.txt"
export LAMINA_WORKER_ASSETS="$bin/site" LAMINA_ASSET_CHECK="$marker"

cd "$root"
# Compile the test binary before the worker competes for the CPU.
"$GO" test -c -o "$bin/worker.test" ./worker

status=0
port=$(free_port)
start "$port"
(cd "$worker" && LAMINA_WORKER_URL="http://127.0.0.1:$port" "$bin/worker.test" -test.run '^TestWorkerSuite$' -test.count=1 -test.v) \
  | grep -v -E '^(=== RUN|    --- PASS)' || status=1
# The official openai npm client against the worker's /v1, then against `lamina serve`.
"$here/openai/run.sh" "http://127.0.0.1:$port/v1" || status=1
stop
"$here/openai/run.sh" || status=1

port=$(free_port)
start "$port" --var LAMINA_INSTANCE_MODE:per-request
(cd "$worker" && LAMINA_WORKER_PER_REQUEST_URL="http://127.0.0.1:$port" "$bin/worker.test" -test.run '^TestWorkerPerRequestMode$' -test.count=1 -test.v) \
  | grep -v -E '^(=== RUN|    --- PASS)' || status=1
stop

if [ $status -ne 0 ]; then
  echo "run.sh: FAIL" >&2
  echo "--- wrangler log tail ---" >&2; tail -30 "$log" >&2
  exit 1
fi
echo "run.sh: PASS"
