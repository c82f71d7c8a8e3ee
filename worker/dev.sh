#!/usr/bin/env bash
# Runs the worker locally under `wrangler dev` (workerd, offline) on
# 127.0.0.1:PORT in the foreground, with the local R2 bucket seeded from
# MODELS_DIR (one subfolder per model).
#   worker/dev.sh PORT MODELS_DIR
# Builds the bundle first when it is missing or older than the Go sources,
# installs wrangler into worker/node_modules when missing (npm ci). The
# local bucket lives in worker/.wrangler/state-<hash of the manifest>, so a
# second start with the same models skips the upload.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 PORT MODELS_DIR [wrangler dev args...]" >&2; exit 2; }
port=$1
models=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
GO=${GO:-go}
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
export GO
# Offline and quiet: no metrics, no request.cf lookup, no update check.
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true

if [ ! -x "$here/node_modules/.bin/wrangler" ]; then
  (cd "$here" && npm ci --no-audit --no-fund >&2)
fi

# Rebuild when any Go package of the bundle (as `go list -deps` sees it for
# js/wasm), go.mod/go.sum or the shim is newer than the last build.
stale=no
if [ ! -f "$here/build/app.wasm" ] || [ ! -f "$here/build/worker.mjs" ]; then
  stale=yes
else
  dirs=$(cd "$root" && GOOS=js GOARCH=wasm "$GO" list -deps -f '{{if not .Standard}}{{.Dir}}{{end}}' ./worker/cmd/worker | grep "^$root" || true)
  if [ -n "$(find $dirs "$root/go.mod" "$root/go.sum" "$here/js" -maxdepth 1 -newer "$here/build/app.wasm" 2>/dev/null | head -1)" ]; then
    stale=yes
  fi
fi
if [ "$stale" = yes ]; then
  "$here/build.sh" >&2
fi

stamp=$( (cd "$root" && "$GO" run ./worker/cmd/manifest "$models") | sha256sum | cut -c1-16)
state="$here/.wrangler/state-$stamp"
if [ ! -f "$state/.seeded" ]; then
  rm -rf "$state"
  mkdir -p "$state"
  "$here/seed.sh" --local --persist-to "$state" "$models"
  touch "$state/.seeded"
fi

# The site's static files (LAMINA_WORKER_ASSETS overrides) when they have
# been built; an empty folder otherwise (the API does not need them).
assets=${LAMINA_WORKER_ASSETS:-$root/dist/site}
if [ ! -d "$assets" ]; then
  assets="$here/build/empty-site"
  mkdir -p "$assets"
fi

cd "$here"
exec "$here/node_modules/.bin/wrangler" dev --ip 127.0.0.1 --port "$port" \
  --persist-to "$state" --assets "$assets" \
  --show-interactive-dev-session=false --log-level "${LAMINA_WRANGLER_LOG:-warn}" \
  "${@:3}"
