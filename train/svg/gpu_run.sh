#!/usr/bin/env bash
# One-command GPU training run of the layered-SVG DiT. Run from the repository root on a CUDA
# machine with the dataset (from `lamina svg dataset`) at $DATA; .npy files may be gzipped.
#
#   TRAIN_S=330 DATA=.cache/dataset OUT=/tmp/out bash train/svg/gpu_run.sh
#
# Writes to $OUT: svg-train.log, svg-log.jsonl (train/validation loss), svg-model.tar.part-*
# (config.json + model.safetensors, split in parts of at most 15 MB; reassemble with
# `cat svg-model.tar.part-* | tar -x`, which gives layered-emoji/).
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/.cache/gpu-out}
PY=${PY:-python3}
TRAIN_S=${TRAIN_S:-330}
DATA=${DATA:-.cache/dataset}
CONFIG=${CONFIG:-small}
DEVICE=${DEVICE:-cuda}
# Hashed-word captions picked up the prompt sooner than bytes in a CPU A/B (see
# train/svg/EXPERIMENTS.md); TOKENIZER=bytes reproduces the shipped model's setup.
TOKENIZER=${TOKENIZER:-words}
EXTRA=${EXTRA:-}
mkdir -p "$OUT"
WORK=$(mktemp -d)
mkdir -p "$WORK/data" "$WORK/layered-emoji"
for f in "$DATA"/*; do
	case $f in
	*.gz) gzip -dc "$f" >"$WORK/data/$(basename "${f%.gz}")" ;;
	*) cp "$f" "$WORK/data/" ;;
	esac
done
$PY train/svg/train.py --data "$WORK/data" --out "$WORK/layered-emoji" --config "$CONFIG" \
	--time-budget-s "$TRAIN_S" --device "$DEVICE" --text-tokenizer "$TOKENIZER" $EXTRA >"$OUT/svg-train.log" 2>&1
rc=$?
echo "svg train exit $rc"
tail -n 3 "$OUT/svg-train.log"
cp "$WORK/layered-emoji/log.jsonl" "$OUT/svg-log.jsonl" 2>/dev/null
(cd "$WORK" && tar -c layered-emoji/config.json layered-emoji/model.safetensors) | split -b 15M - "$OUT/svg-model.tar.part-"
ls -la "$OUT"
exit $rc
