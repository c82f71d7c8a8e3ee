#!/usr/bin/env bash
# The one script a lent GPU session runs for the layered-SVG model (issue 12): data, training
# that continues the shipped model, evaluation, model card.
#
# 1. Here, on the CPU machine, before asking for the GPU (the GPU machine has no Go and no
#    network): build the multi-style dataset and a lamina binary into .cache/gpu-carry/
#    (git-ignored; 37 MB: train.npy.gz 30 MB, val.npy.gz 4 MB, metadata, synonyms; WITH_EVAL=1
#    adds an 8 MB lamina binary so the eval runs there too). The device tool sends at most
#    64 MiB in all, the tracked tree included, and the tracked tree is ~75 MiB (models/ alone
#    is 61 MB), so the call goes out from a slimmed checkout (scripts/device-slim.sh: the
#    files stay on disk, only the index changes; measured: 21.4 MiB + the 37 MB carry):
#
#      LAMINA_CACHE=/work/main/.cache bash train/gpu_all.sh prepare
#      scripts/device-slim.sh on train models/layered-emoji scripts
#      scripts/device-slim.sh size .cache/gpu-carry      # must say under 64 MiB
#      ... the device call of step 2 ...
#      scripts/device-slim.sh off                        # before any commit
#
# 2. On the GPU, in one device call (carry [".cache/gpu-carry"], timeout_s 600 leaves room):
#
#      TRAIN_S=480 bash train/gpu_all.sh run      # outputs under $OUT (default .cache/gpu-out)
#
#    It unpacks the data, continues the shipped model (its config, `cpu`; CONFIG=small for the 10 M one) with --init-from models/layered-emoji (warm start, the
#    total step count carried on) for TRAIN_S seconds at BATCH (default 256), evaluates the
#    result with `lamina svg eval` on the same validation prompts as the shipped model, writes
#    the model card and packs layered-emoji/ (config, weights, logs, eval, card) into $OUT as
#    parts of at most 15 MB (`cat svg-model.tar.part-* | tar -x`).
#
# 3. Back here: unpack (`cat svg-model.tar.part-* | tar -x`), evaluate both models on the
#    same data and prompts:
#      lamina svg eval --model layered-emoji --data .cache/dataset-all --prompts 32 --seeds 4 --loss-rows 200
#      lamina svg eval --model models/layered-emoji --data .cache/dataset-all --prompts 32 --seeds 4 --loss-rows 200
#    and copy it over models/layered-emoji only if prompt-fidelity group/subgroup accuracy and
#    the caption gap are better; then model_card.py --model models/layered-emoji ... again with
#    the eval.json beside it.
#
# Tiny end-to-end check on a CPU (what CI-sized settings exercise: every stage, a few steps):
#
#      DEVICE=cpu CONFIG=tiny INIT= TRAIN_S=20 EVAL_ARGS="--prompts 2 --seeds 1 --loss-rows 8" \
#        bash train/gpu_all.sh run
#
# Variables: OUT, CARRY (.cache/gpu-carry), TRAIN_S (480), BATCH (256), CONFIG (the shipped model's, now `cpu`; or small), INIT
# (models/layered-emoji; empty = from scratch), TOKENIZER (words), DEVICE (cuda), PY (python3),
# EVAL_ARGS (--prompts 32 --seeds 4 --loss-rows 200), EXTRA (more train.py flags), LM (1: also
# train the small language model side by side with train/lm/gpu_run.sh, as this script did
# before; needs .cache/lmdata carried; its outputs go to $OUT/lm-results.tar.part-*).
set -uo pipefail
cd "$(dirname "$0")/.."
stage=${1:-run}
CARRY=${CARRY:-.cache/gpu-carry}
OUT=${OUT:-$PWD/.cache/gpu-out}
PY=${PY:-python3}

if [ "$stage" = prepare ]; then
	set -e
	mkdir -p "$CARRY/data"
	DS=${DS:-.cache/dataset-all}
	if [ ! -f "$DS/manifest.json" ]; then
		src=$(bash scripts/fetch-data.sh)
		go run ./cmd/lamina svg dataset --src "$src" --out "$DS" >"$CARRY/dataset.json"
	fi
	if [ ! -f "$DS/synonyms.json" ]; then
		/usr/bin/python3 train/svg/synonyms.py --data "$DS"
	fi
	for f in "$DS"/*; do
		case $f in
		*.npy) gzip -c "$f" >"$CARRY/data/$(basename "$f").gz" ;;
		*/fidelity.jsonl) ;; # 3 MB the GPU run does not read
		*) cp "$f" "$CARRY/data/" ;;
		esac
	done
	# The eval is Go on CPU cores: by default it runs back here (no device time spent on it, 8 MB
	# less to carry); WITH_EVAL=1 carries a lamina binary so `run` evaluates there too.
	if [ "${WITH_EVAL:-0}" = 1 ]; then
		CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags=-s -o "$CARRY/lamina" ./cmd/lamina
	else
		rm -f "$CARRY/lamina"
	fi
	du -sh "$CARRY"
	exit 0
fi
[ "$stage" = run ] || { echo "usage: gpu_all.sh prepare|run" >&2; exit 2; }

TRAIN_S=${TRAIN_S:-480}
BATCH=${BATCH:-256}
INIT=${INIT-models/layered-emoji}
# By default the run continues the shipped model in its own config (a warm start copies only
# tensors whose names and shapes match, so another CONFIG starts mostly fresh: CONFIG=small trains
# the 10 M model, which needs the GPU's many more steps to pay off).
shipped_config=$([ -n "$INIT" ] && [ -f "$INIT/config.json" ] && "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("config_name", ""))' "$INIT/config.json" 2>/dev/null)
CONFIG=${CONFIG:-${shipped_config:-small}}
TOKENIZER=${TOKENIZER:-words}
DEVICE=${DEVICE:-cuda}
EVAL_ARGS=${EVAL_ARGS:---prompts 32 --seeds 4 --loss-rows 200}
EXTRA=${EXTRA:-}
LAMINA=${LAMINA:-$CARRY/lamina}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"
WORK=$(mktemp -d)
MODEL="$WORK/layered-emoji"
mkdir -p "$WORK/data" "$MODEL"
for f in "$CARRY"/data/*; do
	case $f in
	*.gz) gzip -dc "$f" >"$WORK/data/$(basename "${f%.gz}")" ;;
	*) cp "$f" "$WORK/data/" ;;
	esac
done
[ -f "$WORK/data/manifest.json" ] || { echo "no dataset in $CARRY/data: run 'bash train/gpu_all.sh prepare' first" >&2; exit 1; }
[ -n "$DEVICE" ] && [ "$DEVICE" = cuda ] && { nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true; }

lm_pid=
if [ "${LM:-0}" = 1 ]; then
	mkdir -p "$WORK/lm"
	TRAIN_S=$TRAIN_S OUT=$WORK/lm bash train/lm/gpu_run.sh >"$WORK/lm.out" 2>&1 &
	lm_pid=$!
fi
init_flag=()
[ -n "$INIT" ] && init_flag=(--init-from "$INIT")
cmd=("$PY" train/svg/train.py --data "$WORK/data" --out "$MODEL" --config "$CONFIG" --device "$DEVICE"
	--time-budget-s "$TRAIN_S" --batch "$BATCH" --text-tokenizer "$TOKENIZER" --val-every 500 "${init_flag[@]}")
# shellcheck disable=SC2206
cmd+=($EXTRA)
echo "train: ${cmd[*]}"
"${cmd[@]}" 2>&1 | tee "$OUT/svg-train.log"
rc=${PIPESTATUS[0]}
echo "svg train exit $rc"
[ $rc -eq 0 ] || exit $rc
cp "$MODEL/log.jsonl" "$MODEL/training_log.jsonl"
cp "$MODEL/log.jsonl" "$OUT/svg-log.jsonl"

if [ -x "$LAMINA" ] || command -v "$LAMINA" >/dev/null; then
	# shellcheck disable=SC2086
	"$LAMINA" svg eval --model "$MODEL" --data "$WORK/data" $EVAL_ARGS >"$MODEL/eval.json" 2>"$OUT/svg-eval.err" ||
		{ echo "eval failed"; cat "$OUT/svg-eval.err"; rm -f "$MODEL/eval.json"; }
	cp "$MODEL/eval.json" "$OUT/svg-eval.json" 2>/dev/null
else
	echo "no lamina binary at $LAMINA: eval skipped (run it on the CPU machine)"
fi
steps=$($PY -c "import json,sys; c=json.load(open(sys.argv[1])); print(f\"{c['train_steps']} steps this run, {c['train_steps_total']} in all\")" "$MODEL/config.json")
gpu=$($PY -c "import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'CPU')")
$PY train/svg/model_card.py --model "$MODEL" \
	--run "$gpu, $TRAIN_S s budget, batch $BATCH, config $CONFIG, $TOKENIZER captions, $steps${INIT:+, warm start from $INIT}" \
	--command "TRAIN_S=$TRAIN_S BATCH=$BATCH CONFIG=$CONFIG INIT=$INIT TOKENIZER=$TOKENIZER bash train/gpu_all.sh run"
cp "$MODEL/README.md" "$OUT/svg-README.md"
(cd "$WORK" && tar -c layered-emoji) | split -b 15M - "$OUT/svg-model.tar.part-"
if [ -n "$lm_pid" ]; then
	wait "$lm_pid"
	echo "lm exit $?"
	tail -n 20 "$WORK/lm.out" | cut -c1-300
	(cd "$WORK" && tar -c lm lm.out) | split -b 15M - "$OUT/lm-results.tar.part-"
fi
ls -la "$OUT"
rm -rf "$WORK"
