#!/usr/bin/env bash
# A/B: lamina.wasm with the compiler's default inlining (A) against build.sh's
# hot-packages-only inlining (B), same tree, in Chromium, interleaved.
set -euo pipefail
cd /work/main
W=$PWD/bench/peers/.work
for v in A B; do rm -rf $W/site$v; cp -r $W/site $W/site$v; done
cd /work/wt/size2
LAMINA_WASM_INLINE=all LAMINA_DIST=/tmp/distA ./build.sh wasm >/dev/null 2>&1
LAMINA_DIST=/tmp/distB ./build.sh wasm >/dev/null 2>&1
cp /tmp/distA/site/lamina.wasm /tmp/distA/site/lamina-booleans.wasm $W/siteA/
cp /tmp/distB/site/lamina.wasm /tmp/distB/site/lamina-booleans.wasm $W/siteB/
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" $W/siteA/; cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" $W/siteB/
cd /work/main
export LAMINA_CHROMIUM=/usr/bin/chromium
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in 1 2 3 4; do for v in A B; do
  echo "=== round $r variant $v"
  node bench/peers/browser.mjs --work $W --site $W/site$v --model emoji --rounds 1 --runners emoji-simd-1 2>&1 | grep -E "^\| layered"
  node bench/peers/browser.mjs --work $W --site $W/site$v --model brown --rounds 1 --new-tokens 128 --runners lamina-simd-1 2>&1 | grep -E "^\| lamina"
done; done
