#!/usr/bin/env bash
# Both training runs in one GPU session (a single H100/H200 holds them side by side): the small
# language model (train/lm/gpu_run.sh) and the layered-SVG DiT (train/svg/gpu_run.sh).
#
#   TRAIN_S=270 OUT=/tmp/out bash train/gpu_all.sh
#
# Needs .cache/lmdata (scripts/fetch-brown.sh) and the SVG dataset in $SVG_DATA (from
# `lamina svg dataset`, .npy files may be gzipped). Everything both runs write is packed into
# $OUT/results.tar.part-* (15 MB parts: `cat results.tar.part-* | tar -x` gives lm/ and svg/),
# so a tool that returns only a few files gets all of it.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/.cache/gpu-out}
TRAIN_S=${TRAIN_S:-270}
SVG_DATA=${SVG_DATA:-.cache/dataset}
WORK=$(mktemp -d)
mkdir -p "$OUT" "$WORK/lm" "$WORK/svg"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
TRAIN_S=$TRAIN_S OUT=$WORK/lm bash train/lm/gpu_run.sh >"$WORK/lm.out" 2>&1 &
lm=$!
TRAIN_S=$TRAIN_S OUT=$WORK/svg DATA=$SVG_DATA bash train/svg/gpu_run.sh >"$WORK/svg.out" 2>&1 &
svg=$!
wait $lm
echo "lm exit $?"
wait $svg
echo "svg exit $?"
echo "== lm (tail)"
tail -n 40 "$WORK/lm.out" | cut -c1-300
echo "== svg (tail)"
grep -v '^{"step"' "$WORK/svg/svg-train.log" | tail -n 5
tail -n 4 "$WORK/svg/svg-log.jsonl" 2>/dev/null
(cd "$WORK" && tar -c lm svg lm.out svg.out) | split -b 15M - "$OUT/results.tar.part-"
ls -la "$OUT"
