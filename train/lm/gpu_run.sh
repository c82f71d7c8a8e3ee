#!/usr/bin/env bash
# One-command GPU training run for the lamina small LM. Run from the repository root on the GPU
# machine with the prepared data carried in .cache/lmdata (made by scripts/fetch-brown.sh):
#
#   bash train/lm/gpu_run.sh        # TRAIN_S=300 by default; results go to $OUT (else .cache/gpu-out)
#
# Trains three configurations side by side on the one GPU (configs/gpu-20m-{a,b,c}.json: the same
# 20.5M-parameter Llama, 16/40/80 planned epochs with rising dropout and weight decay: Brown is
# only 1.58M training tokens, so the GPU can afford a small sweep and the data, not compute, is the
# limit). Each run stops at its planned epochs or at TRAIN_S seconds, keeps its best-validation
# weights, and exports them. The run with the lowest final-layer validation loss is evaluated
# (perplexity of every exit layer, samples), checked against transformers/tokenizers when they are
# installed, and packed into at most 8 files of at most 16 MB in $OUT:
#   run.log  summary.json  loss_curve.png|csv  logs.tar.gz  model.tar.part-aa, -ab, -ac
# Reassemble the model with: cat model.tar.part-* | tar -x   (gives lamina-brown-20m/)
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/.cache/gpu-out}
PY=${PY:-python3}
TRAIN_S=${TRAIN_S:-300}
DATA=${DATA:-.cache/lmdata}
NAME=${NAME:-lamina-brown-20m}
DEVICE=${DEVICE:-cuda}   # DEVICE=cpu with CONFIGS=tiny ones tests this script on a CPU box
CONFIGS=${CONFIGS:-"train/lm/configs/gpu-20m-a.json train/lm/configs/gpu-20m-b.json train/lm/configs/gpu-20m-c.json"}
EXTRA=${EXTRA:-}         # extra train.py flags, e.g. "--max-steps 30 --threads 1"
EVAL_EXTRA=${EVAL_EXTRA:-}
WORK=$(mktemp -d)
mkdir -p "$OUT"
exec > >(tee "$OUT/run.log") 2>&1
echo "== gpu_run $(date -u +%FT%TZ) TRAIN_S=$TRAIN_S work=$WORK"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
$PY -c "import torch,sys; print('torch', torch.__version__, 'cuda', torch.cuda.is_available()); sys.exit(0 if torch.cuda.is_available() or sys.argv[1] != 'cuda' else 3)" "$DEVICE" || { echo "no CUDA"; exit 3; }
for f in train.bin val.bin tokenizer.json meta.json val.txt; do
  [ -f "$DATA/$f" ] || { echo "missing $DATA/$f (carry .cache/lmdata)"; exit 4; }
done

pids=()
runs=()
letters=(a b c d e f g h)
n=0
for cfg in $CONFIGS; do
  c=${letters[$n]}; n=$((n + 1)); runs+=("$c")
  cp "$cfg" "$WORK/config-$c.json"
  timeout $((TRAIN_S + 120)) $PY train/lm/train.py --config "$cfg" $EXTRA \
    --data "$DATA" --out "$WORK/run-$c" --time-budget-s "$TRAIN_S" --device "$DEVICE" \
    > "$WORK/train-$c.out" 2>&1 &
  pids+=($!)
done
for i in "${!pids[@]}"; do wait "${pids[$i]}"; echo "run $i exit $?"; done
for c in "${runs[@]}"; do echo "-- run $c tail"; tail -n 3 "$WORK/train-$c.out" | cut -c1-600; done

best=$($PY - "$WORK" <<'PYEOF'
import json, os, sys
w = sys.argv[1]
best = None
for c in "abcdefgh":
    p = os.path.join(w, f"run-{c}", "summary.json")
    if os.path.exists(p) and os.path.exists(os.path.join(w, f"run-{c}", "model", "model.safetensors")):
        v = json.load(open(p))["best_val_loss_per_layer"][-1]
        if best is None or v < best[0]:
            best = (v, c)
print(best[1] if best else "")
PYEOF
)
if [ -z "$best" ]; then echo "no run finished"; tar -czf "$OUT/logs.tar.gz" -C "$WORK" . ; exit 5; fi
echo "== best run: $best"
RUN=$WORK/run-$best
cp -r "$RUN/model" "$WORK/$NAME"
cp "$RUN/log.jsonl" "$WORK/$NAME/training_log.jsonl"

timeout 120 $PY train/lm/eval.py --model "$WORK/$NAME" --data "$DATA" --device "$DEVICE" $EVAL_EXTRA > "$WORK/eval.json" 2> "$WORK/eval.err" \
  || { echo "eval failed"; cat "$WORK/eval.err"; }
timeout 120 $PY train/lm/hf_check.py --model "$WORK/$NAME" --data "$DATA" > "$WORK/hf_check.json" 2> "$WORK/hf_check.err"
echo "hf_check exit $?"; head -c 3000 "$WORK/hf_check.json"; tail -n 5 "$WORK/hf_check.err"
cp "$WORK/eval.json" "$WORK/$NAME/eval.json" 2>/dev/null

$PY - "$WORK" "$best" "$OUT/summary.json" <<'PYEOF'
import json, os, sys
w, best, out = sys.argv[1:4]
def load(p):
    try:
        return json.load(open(p))
    except Exception as e:
        return {"error": str(e)}
s = {"chosen_run": best,
     "runs": {c: load(os.path.join(w, f"run-{c}", "summary.json")) for c in "abcdefgh"
              if os.path.isdir(os.path.join(w, f"run-{c}"))},
     "eval": load(os.path.join(w, "eval.json")), "hf_check": load(os.path.join(w, "hf_check.json"))}
json.dump(s, open(out, "w"), indent=1)
print(json.dumps({"chosen": best, "full_model": s["eval"].get("full_model"),
                  "per_layer_ppl": [l["ppl"] for l in s["eval"].get("per_layer", [])],
                  "hf_ok": s["hf_check"].get("ok"),
                  "logits_diff": s["hf_check"].get("logits_max_abs_diff")}, indent=1))
print(json.dumps(s["eval"].get("samples"), indent=1)[:3000])
PYEOF
for f in loss_curve.png loss_curve.csv; do [ -f "$RUN/$f" ] && cp "$RUN/$f" "$OUT/$f"; done
tar -czf "$OUT/logs.tar.gz" -C "$WORK" --exclude='*/model' --exclude="$NAME" .
tar -cf "$WORK/model.tar" -C "$WORK" "$NAME"
split -b 15M "$WORK/model.tar" "$OUT/model.tar.part-"
(cd "$OUT" && ls -la && sha256sum "$WORK/model.tar")
echo "== done $(date -u +%FT%TZ); files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
sync; sleep 1  # let tee finish run.log before the folder is collected
