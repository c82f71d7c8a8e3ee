#!/usr/bin/env bash
# fetch-data.sh installs the pinned npm data packages the vector pipeline reads:
#   @twemoji/svg     - the 3,723 Twemoji SVGs (graphics CC-BY 4.0, Twitter/X and contributors)
#   emojibase-data   - names, tags, groups, subgroups (MIT)
# into $LAMINA_CACHE/npm (default: <repo>/.cache/npm). The folder is git-ignored: the data
# is downloaded, never committed.
set -euo pipefail

TWEMOJI_VERSION=15.0.0
EMOJIBASE_VERSION=16.0.3 # covers Emoji 16, a superset of the Emoji 15 set Twemoji 15 draws

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${LAMINA_CACHE:-$repo/.cache}/npm"
mkdir -p "$cache"
cd "$cache"
[ -f package.json ] || echo '{"name":"lamina-data","private":true}' >package.json
npm install --no-audit --no-fund --ignore-scripts --save-exact \
	"@twemoji/svg@$TWEMOJI_VERSION" "emojibase-data@$EMOJIBASE_VERSION" >&2
n=$(ls node_modules/@twemoji/svg/*.svg | wc -l)
echo "installed into $cache/node_modules: @twemoji/svg@$TWEMOJI_VERSION ($n svg), emojibase-data@$EMOJIBASE_VERSION" >&2
echo "$cache/node_modules"
