#!/usr/bin/env bash
# The official openai npm client suite (suite.mjs) against a lamina server.
#   worker/test/openai/run.sh [BASE_URL]
# With BASE_URL (the server's /v1 URL) it runs against that server (worker/test/run.sh
# passes wrangler dev's). Without, it builds the lamina CLI, assembles the fixtures that
# worker/testdata/models.txt lists, starts `lamina serve` on a free port and runs against it.
# Installs the suite's pinned packages (package-lock.json) when node_modules is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
GO=${GO:-go}
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
[ -d "$here/node_modules/openai" ] || (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
base=${1:-}
pid=""
tmp=$(mktemp -d)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
if [ -z "$base" ]; then
  (cd "$root" && "$GO" build -o "$tmp/lamina" ./cmd/lamina)
  "$root/scripts/testmodels.sh" "$root/worker/testdata/models.txt" "$tmp/models"
  mkdir -p "$tmp/site" && echo "// the API suite needs no site" >"$tmp/site/lamina.mjs"
  "$tmp/lamina" serve --addr 127.0.0.1:0 --site "$tmp/site" --models "$tmp/models" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$tmp/out" ] && break; sleep 0.1; done
  url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$tmp/out") || { cat "$tmp/err" >&2; exit 1; }
  base="${url}v1"
  echo "openai suite: lamina serve at $base"
fi
cd "$here" && LAMINA_OPENAI_BASE="$base" node --test --test-reporter=spec suite.mjs
