#!/usr/bin/env bash
# Uploads a models folder (one subfolder per model) and its manifest to the
# worker's R2 bucket. Shared by dev.sh (--local) and deploy-models.sh
# (--remote).
# Usage: worker/seed.sh (--local --persist-to DIR | --remote) MODELS_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bucket=${LAMINA_MODELS_BUCKET:-lamina-models}
args=()
while [ $# -gt 1 ]; do
  case "$1" in
    --local|--remote) args+=("$1"); shift ;;
    --persist-to) args+=("$1" "$2"); shift 2 ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || { echo "usage: $0 (--local --persist-to DIR | --remote) MODELS_DIR" >&2; exit 2; }
models=$(cd "$1" && pwd)
GO=${GO:-go}
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go
wrangler="$here/node_modules/.bin/wrangler"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The manifest: names, sizes and SHA-256 of every file, hashed once here.
(cd "$root" && "$GO" run ./worker/cmd/manifest "$models") > "$work/manifest.json"
# One key/file pair per model file; the names were validated by the
# manifest command. The manifest itself is uploaded last (below), so a
# worker reading the bucket meanwhile never lists a file not there yet.
python3 - "$models" "$work/manifest.json" > "$work/objects.json" <<'PY'
import json, os, sys
models, manifest = sys.argv[1], sys.argv[2]
m = json.load(open(manifest))
out = [{"key": f"{mm['name']}/{f['name']}", "file": os.path.join(models, mm['name'], f['name'])}
       for mm in m["models"] for f in mm["files"]]
json.dump(out, sys.stdout, indent=1)
PY
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/objects.json")
echo "seed: $n files + manifest from $models into $bucket (${args[*]})" >&2
cd "$here"
# `r2 bulk put` uploads them all from one wrangler process (a process per
# object costs seconds each); fall back to `r2 object put` per object.
if ! "$wrangler" r2 bulk put "$bucket" --filename "$work/objects.json" --force "${args[@]}" >"$work/bulk.log" 2>&1; then
  echo "seed: bulk put failed, uploading one object at a time:" >&2
  tail -5 "$work/bulk.log" >&2
  python3 -c 'import json,sys
for o in json.load(open(sys.argv[1])): print(o["key"]); print(o["file"])' "$work/objects.json" |
  while IFS= read -r key && IFS= read -r file; do
    "$wrangler" r2 object put "$bucket/$key" --file "$file" "${args[@]}" >/dev/null
  done
fi
"$wrangler" r2 object put "$bucket/_lamina/manifest.json" --file "$work/manifest.json" \
  --content-type application/json "${args[@]}" >/dev/null
echo "seed: done" >&2
