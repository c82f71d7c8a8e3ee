"""Writes reference.json for cmd/lamina's perplexity test: train/lm/eval.py's own per_layer_loss
(PyTorch, float32 on the stored weights) on train/lm/testdata/tiny-random, over text.txt tokenized
by train/lm's Python BPE encoder with <|endoftext|> prepended (what lamina's EncodeWithSpecial
gives), for a few window sizes. Rerun after the tiny model changes:

  /usr/bin/python3 cmd/lamina/testdata/perplexity/make_reference.py
"""
import json
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(root, "train", "lm"))
from bpe import EOT, ByteLevelBPE  # noqa: E402
from eval import per_layer_loss  # noqa: E402
from export import load_hf  # noqa: E402

MODEL = os.path.join(root, "train", "lm", "testdata", "tiny-random")
# (window, max_tokens): the default window (the model's 64 positions), a small one, and a cut text.
CASES = [(64, 0), (16, 0), (16, 100)]


def main():
    model, arch = load_hf(MODEL, "cpu")
    model.eval()
    tok = ByteLevelBPE.from_file(os.path.join(MODEL, "tokenizer.json"))
    text = open(os.path.join(here, "text.txt"), encoding="utf-8").read()
    all_ids = [tok.special[EOT]] + tok.encode(text)
    token_bytes = torch.zeros(arch["vocab_size"], dtype=torch.int64)
    out = {"source": "cmd/lamina/testdata/perplexity/make_reference.py (train/lm/eval.py per_layer_loss, "
                     "PyTorch %s)" % torch.__version__,
           "model": "train/lm/testdata/tiny-random", "ids": all_ids, "cases": []}
    for window, max_tokens in CASES:
        ids = torch.tensor(all_ids, dtype=torch.int64)
        if max_tokens:
            ids = ids[:max_tokens]
        nats, n_tok, _ = per_layer_loss(model, ids, window, 4, "cpu", token_bytes)
        out["cases"].append({"window": window, "max_tokens": max_tokens, "tokens": n_tok,
                             "loss": [nats[l].item() / n_tok for l in range(len(nats))]})
    with open(os.path.join(here, "reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
