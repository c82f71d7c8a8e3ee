#!/usr/bin/env bash
# CI smoke test of the layered-SVG DiT trainer on CPU with Debian's python3-torch:
#   bash train/svg/smoke.sh
# 0. train/svg/test_train.py: captions (style word share and place, validation caption), the
#    caption table, padding invariance;
# 1. a two-style dataset (Twemoji + Fluent flat: scripts/fetch-data.sh + `lamina svg dataset
#    --sets twemoji,fluent`) if .cache/dataset lacks it;
# 2. the tiny config trains 40 steps on 256 rows, once per caption tokenizer (bytes, words);
#    asserts validation loss fell; then a warm start (--init-from) of the words model trains 10
#    more steps: its first validation loss is the exported model's (not a fresh model's) and
#    its config counts 50 steps in all;
# 3. Go/PyTorch parity on the fresh export: train/svg/parity_testdata.py samples three cases
#    (plain, unguided, RePaint keep mask) in PyTorch, and svgmodel's TestPyTorchParity samples
#    them in Go from the same noise (tolerance 1e-4 per token value).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-/usr/bin/python3}
DS=${SVG_DATA:-.cache/dataset}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
$PY train/svg/test_train.py
if [ ! -f "$DS/manifest.json" ]; then
	src=$(bash scripts/fetch-data.sh)
	go run ./cmd/lamina svg dataset --src "$src" --out "$DS" --sets twemoji,fluent >"$TMP/dataset.json"
fi
# Both caption tokenizers: bytes (the shipped model's) and hashed words.
for tk in bytes words; do
	$PY train/svg/train.py --data "$DS" --out "$TMP/$tk" --config tiny --device cpu \
		--max-steps 40 --train-rows 256 --val-rows 32 --val-every 20 --text-tokenizer "$tk" >"$TMP/train.out"
	$PY - "$TMP/$tk/log.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
val = [r["val_loss"] for r in rows]
print(json.dumps({"steps": rows[-1]["step"], "val_loss": val}))
# At initialisation the zero-initialised output layer predicts v = 0, so the loss is about
# E|noise - x0|^2 ~ 1.1; 40 steps at lr 1e-3 bring it to ~0.8.
MIN_DROP = 0.1
if not (val[-1] < val[0] - MIN_DROP):
    sys.exit(f"validation loss did not fall by {MIN_DROP}: {val}")
PYEOF
	$PY train/svg/parity_testdata.py --model "$TMP/$tk"
	LAMINA_SVG_PARITY_DIR="$TMP/$tk" go test -count=1 -run TestPyTorchParity -v ./svgmodel/ >"$TMP/parity.out" 2>&1 ||
		{ cat "$TMP/parity.out"; exit 1; }
	echo "$tk:"
	grep -E 'max \|' "$TMP/parity.out"
done
# Warm start: 10 more steps from the words model.
$PY train/svg/train.py --data "$DS" --out "$TMP/warm" --config tiny --device cpu --init-from "$TMP/words" \
	--max-steps 10 --train-rows 256 --val-rows 32 --val-every 5 >"$TMP/train.out"
$PY - "$TMP/words" "$TMP/warm" <<'PYEOF'
import json, sys
first = [json.loads(l) for l in open(sys.argv[1] + "/log.jsonl")]
warm = [json.loads(l) for l in open(sys.argv[2] + "/log.jsonl")]
cfg = json.load(open(sys.argv[2] + "/config.json"))
print(json.dumps({"exported_val": first[-1]["val_loss"], "warm_first_val": warm[0]["val_loss"],
                  "fresh_first_val": first[0]["val_loss"], "total_steps": cfg["train_steps_total"]}))
# The exported weights are f16 and one optimizer step has passed: close to, not equal to, the
# exported model's loss, and far below a fresh model's (~1.1).
if abs(warm[0]["val_loss"] - first[-1]["val_loss"]) > 0.05 or warm[0]["val_loss"] > first[0]["val_loss"] - 0.1:
    sys.exit("warm start did not start from the exported model")
if cfg["train_steps_total"] != 50 or cfg["train_steps"] != 10 or len(cfg["runs"]) != 2:
    sys.exit(f"steps not carried: {cfg['train_steps_total']} {cfg['train_steps']} {cfg['runs']}")
PYEOF
echo "svg smoke: ok"
