#!/usr/bin/env bash
# After the GPU run: unpack its output into models/<name>, record the PyTorch parity reference for
# the Go test, check lamina against it, sample with lamina, and render the model card.
#   bash train/lm/install_model.sh GPU_OUT_DIR     (the folder holding model.tar.part-* etc.)
# Env: NAME (lamina-brown-20m), MODELS_DIR (models), REF_DIR (train/lm/testdata/$NAME), DATA.
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=${1:?usage: install_model.sh GPU_OUT_DIR}
NAME=${NAME:-lamina-brown-20m}
MODELS_DIR=${MODELS_DIR:-models}
REF_DIR=${REF_DIR:-train/lm/testdata/$NAME}
DATA=${DATA:-.cache/lmdata}
PY=${PY:-/usr/bin/python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cat "$SRC"/model.tar.part-* | tar -x -C "$TMP"
[ -f "$TMP/$NAME/model.safetensors" ] || { echo "no $NAME/model.safetensors in the parts"; exit 1; }
DEST=$MODELS_DIR/$NAME
mkdir -p "$DEST" "$REF_DIR"
for f in config.json model.safetensors tokenizer.json tokenizer_config.json special_tokens_map.json \
         generation_config.json training_recipe.json eval.json training_log.jsonl; do
  [ -f "$TMP/$NAME/$f" ] && cp "$TMP/$NAME/$f" "$DEST/$f"
done
[ -f "$SRC/loss_curve.png" ] && cp "$SRC/loss_curve.png" "$DEST/loss_curve.png"
[ -f "$SRC/loss_curve.csv" ] && cp "$SRC/loss_curve.csv" "$DEST/loss_curve.csv"
if [ ! -f "$DEST/eval.json" ]; then  # the GPU eval failed or was skipped: measure here (slow on CPU)
  $PY train/lm/eval.py --model "$DEST" --data "$DATA" --device cpu > "$DEST/eval.json"
fi
$PY train/lm/parity.py dump --model "$DEST" --out "$REF_DIR/reference.json"
if [ "$MODELS_DIR/$NAME" = "models/lamina-brown-20m" ]; then
  go test ./train/lm -run TestParity -count=1 -v | grep -E 'logits max abs diff|^(---|ok|FAIL)'
else
  LAMINA_LM_PARITY_DIR=$DEST LAMINA_LM_PARITY_REF=$REF_DIR/reference.json \
    go test ./train/lm -run TestParity/env -count=1 -v | grep -E 'logits max abs diff|^(---|ok|FAIL)'
fi
go build -o "$TMP/lamina" ./cmd/lamina
$PY - "$TMP/lamina" "$DEST" "$TMP/samples.json" <<'PYEOF'
import json, subprocess, sys
exe, model, out = sys.argv[1:4]
res = []
for prompt in ["The jury said", "In the morning, she", "He looked at the"]:
    cmd = [exe, "generate", "--model", model, "--prompt", prompt, "--max-new-tokens", "48",
           "--temperature", "0.8", "--top-k", "40", "--seed", "1", "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    text = json.loads(r.stdout)["text"]
    shown = " ".join(a if " " not in a else json.dumps(a) for a in ["lamina"] + cmd[1:])
    res.append({"command": shown.replace(model, "models/" + model.rstrip("/").split("/")[-1]),
                "text": text if text.startswith(prompt) else prompt + text})
json.dump(res, open(out, "w"), indent=1)
print(json.dumps(res, indent=1))
PYEOF
ARGS=()
[ -f "$SRC/summary.json" ] && ARGS+=(--run-summary "$SRC/summary.json")
$PY train/lm/model_card.py --model "$DEST" --data "$DATA" --lamina-samples "$TMP/samples.json" "${ARGS[@]}"
du -sh "$DEST"; ls -la "$DEST"
