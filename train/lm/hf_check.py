"""Checks the exported directory against Hugging Face's own libraries (run where `transformers`
and `tokenizers` are installed, e.g. the GPU machine; they are not installed on the dev box).

  python train/lm/hf_check.py --model DIR --data .cache/lmdata > hf_check.json

1. tokenizers.Tokenizer.from_file(tokenizer.json) encodes the validation text and a set of
   awkward strings exactly as our bpe.py does (the ids the model was trained on), and decodes back.
2. transformers AutoModelForCausalLM loads the directory unchanged; its float32 logits on a fixed
   input match our PyTorch model's (max abs diff reported; 1e-4 is the bar), and greedy decoding
   agrees token for token.
Exits non-zero if any check fails.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe import ByteLevelBPE  # noqa: E402
from export import load_hf  # noqa: E402

LOGITS_TOL = 1e-4  # float32 vs float32 on identical weights; only summation order differs
AWKWARD = ["Hello, world! How's it going?", "  two leading spaces", "trailing space ",
           "tabs\tand\nnewlines\n\nhere", "numbers 12345 and 3.14159", "don't won't I'm they'll",
           "café naïve résumé", "你好，世界", "emoji 👍 and 👍🏽", "x 'sa 'S 'RE", "a   b\n \n c",
           "<|endoftext|>The end.<|endoftext|>", ""]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default=".cache/lmdata")
    args = ap.parse_args()
    res = {"ok": True}
    ours = ByteLevelBPE.from_file(os.path.join(args.model, "tokenizer.json"))
    try:
        from tokenizers import Tokenizer
        hf = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
        with open(os.path.join(args.data, "val.txt"), encoding="utf-8") as f:
            paras = [p for p in f.read().split("\n") if p]
        cases = AWKWARD + paras
        bad = []
        for t in cases:
            a = hf.encode(t, add_special_tokens=False).ids
            b = ours.encode(t)
            if a != b or hf.decode(a, skip_special_tokens=False) != t:
                bad.append({"text": t[:80], "hf": a[:20], "ours": b[:20]})
        res["tokenizer"] = {"cases": len(cases), "mismatches": len(bad), "first": bad[:5],
                            "with_special": hf.encode("Hello").ids}
        res["ok"] &= not bad
    except ImportError as e:
        res["tokenizer"] = {"skipped": str(e)}
    try:
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer
        res["transformers_version"] = transformers.__version__
        try:
            hfm = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32)
        except TypeError:
            hfm = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32)
        hfm.eval()
        m, arch = load_hf(args.model, "cpu")
        ids = [0] + ours.encode("The Fulton County Grand Jury said Friday an investigation of")
        x = torch.tensor([ids])
        with torch.no_grad():
            out = hfm(x, output_hidden_states=True)
            ref = m(x)
            hs = m.hidden_states(x)
        diff = (out.logits.float() - ref).abs().max().item()
        # HF hidden_states: [embeddings, after layer 1, …, after layer L-1, final-normed]
        hdiff = max((out.hidden_states[l + 1] - hs[l]).abs().max().item()
                    for l in range(len(hs) - 1))
        res["logits_max_abs_diff"] = diff
        res["hidden_max_abs_diff"] = hdiff
        res["ok"] &= diff <= LOGITS_TOL
        g = hfm.generate(x, max_new_tokens=20, do_sample=False)[0].tolist()
        mine = list(ids)
        with torch.no_grad():
            for _ in range(20):
                mine.append(int(m(torch.tensor([mine]))[0, -1].argmax()))
        res["greedy_equal"] = g == mine
        res["greedy_text"] = ours.decode(g[1:])
        res["ok"] &= g == mine
        at = AutoTokenizer.from_pretrained(args.model)
        res["autotokenizer_hello"] = at("Hello world")["input_ids"]
    except ImportError as e:
        res["transformers"] = {"skipped": str(e)}
    print(json.dumps(res, indent=1))
    sys.exit(0 if res["ok"] else 1)


if __name__ == "__main__":
    main()
