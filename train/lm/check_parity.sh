#!/usr/bin/env bash
# lamina vs PyTorch parity for an exported model directory (default: a fresh tiny random export).
#   bash train/lm/check_parity.sh [MODEL_DIR] [REFERENCE_JSON]
# 1. parity.py dump: PyTorch logits (float32 on the stored weights), last-position hidden states
#    of every layer, and Python-BPE tokenizer cases -> REFERENCE_JSON (+ _logits.f32 beside it).
# 2. go test ./train/lm -run TestParity with LAMINA_LM_PARITY_DIR/REF set: lamina's Logits,
#    HiddenStates and tokenizer against that reference (logits tolerance 1e-4).
# 3. If the CLI has the `logits` subcommand: `go run ./cmd/lamina logits --model DIR --ids ...`
#    compared by parity.py compare (same tolerance).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-/usr/bin/python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DIR=${1:-}
if [ -z "$DIR" ]; then
  DIR=$TMP/tiny
  $PY train/lm/parity.py random --out "$DIR" --seed 7 --tokenizer train/lm/testdata/tiny-random/tokenizer.json
fi
REF=${2:-$TMP/reference.json}
$PY train/lm/parity.py dump --model "$DIR" --out "$REF"
LAMINA_LM_PARITY_DIR=$DIR LAMINA_LM_PARITY_REF=$REF go test ./train/lm -run 'TestParity/env' -count=1 -v \
  | grep -E 'logits max abs diff|^(---|ok|FAIL|PASS)' 
ids=$($PY -c 'import json,sys; print(",".join(map(str, json.load(open(sys.argv[1]))["input_ids"])))' "$REF")
go build -o "$TMP/lamina" ./cmd/lamina 2>"$TMP/build.err" || true
if [ -x "$TMP/lamina" ] && "$TMP/lamina" logits --model "$DIR" --ids "$ids" > "$TMP/cli.json" 2>"$TMP/cli.err"; then
  $PY train/lm/parity.py compare --ref "$REF" --lamina "$TMP/cli.json"
else
  echo "SKIP cli: 'lamina logits' not available yet ($(head -c 200 "$TMP/build.err" "$TMP/cli.err" 2>/dev/null | tr '\n' ' '))"
fi
echo "parity OK: $DIR"
