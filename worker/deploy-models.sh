#!/usr/bin/env bash
# Uploads a models folder (one subfolder per model) to the worker's R2
# bucket on Cloudflare, with the manifest (names, sizes, SHA-256) the worker
# serves /v1/models and ETags from.
#   worker/deploy-models.sh MODELS_DIR
# Needs wrangler credentials (`npx wrangler login`, or CLOUDFLARE_API_TOKEN
# and CLOUDFLARE_ACCOUNT_ID) and the bucket (`npx wrangler r2 bucket create
# lamina-models`). The bucket name can be changed with LAMINA_MODELS_BUCKET
# (keep wrangler.toml's bucket_name in step). wrangler uploads objects of
# at most 300 MiB; larger files need R2's S3 API (e.g. rclone).
# Re-running it overwrites the objects; the manifest goes last, so the
# worker never lists a file that is not uploaded yet.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 MODELS_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$here/node_modules/.bin/wrangler" ]; then
  (cd "$here" && npm ci --no-audit --no-fund >&2)
fi
exec "$here/seed.sh" --remote "$1"
