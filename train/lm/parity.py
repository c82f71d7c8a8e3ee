"""PyTorch side of the lamina parity checks.

  parity.py random --out DIR [--seed 0] [--dtype float16]   tiny random-weight export (real tokenizer)
  parity.py dump --model DIR [--text TEXT] --out FILE       reference logits / hidden states / tokenizer
  parity.py compare --ref FILE --lamina FILE                compare `lamina logits` JSON with the ref

The reference is computed by our PyTorch model (float32 on the stored weights) and our Python BPE
encoder — implementations independent of lamina's Go code — so the Go test that reads it checks
lamina against them. Hidden states follow transformers' output_hidden_states convention:
[embeddings, after layer 1, …, after layer L-1, final-normed output of layer L].
"""
import argparse
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe import EOT, ByteLevelBPE  # noqa: E402
from export import export_hf, load_hf  # noqa: E402
from model import LlamaForCausalLM  # noqa: E402

LOGITS_TOL = 1e-4  # the bar for lamina vs PyTorch logits
DEFAULT_TEXT = "The jury said it did find that many laws"
TOKENIZER_CASES = ["Hello, world! How's it going?", "  two leading spaces", "trailing space ",
                   "tabs\tand\nnewlines\n\nhere", "numbers 12345 and 3.14159",
                   "don't won't I'm they'll", "café naïve résumé", "emoji 👍 and 👍🏽",
                   "x 'sa 'S 'RE", "a   b\n \n c", "<|endoftext|>The end.<|endoftext|>",
                   "The Fulton County Grand Jury said Friday an investigation of Atlanta's "
                   "recent primary election produced \"no evidence\" that any irregularities "
                   "took place."]
TINY = {"vocab_size": 4096, "hidden_size": 32, "intermediate_size": 88, "num_hidden_layers": 3,
        "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": True,
        "initializer_range": 0.3}


def cmd_random(args):
    torch.manual_seed(args.seed)
    m = LlamaForCausalLM(TINY)
    with torch.no_grad():  # non-trivial norm weights so the norms are exercised
        for n, p in m.named_parameters():
            if n.endswith("layernorm.weight") or n == "model.norm.weight":
                p.uniform_(0.5, 1.5)
    export_hf(m, TINY, args.tokenizer, args.out, args.dtype, bos_id=0, eos_id=0)


def cmd_dump(args):
    model, arch = load_hf(args.model, "cpu")
    tok = ByteLevelBPE.from_file(os.path.join(args.model, "tokenizer.json"))
    ids = [tok.special[EOT]] + tok.encode(args.text)
    ids = ids[:arch["max_position_embeddings"]]
    x = torch.tensor([ids])
    with torch.no_grad():
        hs = model.hidden_states(x)
        logits = model.exit_logits(hs[-1])[0]
        emb = model.model.embed_tokens(x)
        hidden = [emb[0]] + [h[0] for h in hs[:-1]] + [model.model.norm(hs[-1])[0]]
    cases = [{"text": t, "ids": tok.encode(t), "decoded": tok.decode(tok.encode(t))}
             for t in TOKENIZER_CASES]
    # Logits go to a little-endian float32 file next to the JSON (T×V floats are too many for JSON).
    logits_file = os.path.splitext(os.path.basename(args.out))[0] + "_logits.f32"
    with open(os.path.join(os.path.dirname(os.path.abspath(args.out)), logits_file), "wb") as f:
        f.write(struct.pack("<%df" % logits.numel(), *logits.reshape(-1).tolist()))
    ref = {"source": "train/lm/parity.py dump (PyTorch %s, float32 on stored weights)"
                     % torch.__version__,
           "text": args.text, "input_ids": ids,
           "logits_file": logits_file, "logits_shape": list(logits.shape),
           "hidden_states_last_pos": [[float("%.8g" % v) for v in h[-1].tolist()]
                                      for h in hidden],
           "tokenizer_cases": cases}
    with open(args.out, "w") as f:
        json.dump(ref, f, indent=1, ensure_ascii=False)
    print(json.dumps({"out": args.out, "tokens": len(ids),
                      "logit_range": [float(logits.min()), float(logits.max())]}))


def cmd_compare(args):
    with open(args.ref) as f:
        ref = json.load(f)
    with open(args.lamina) as f:
        got = json.load(f)
    with open(os.path.join(os.path.dirname(os.path.abspath(args.ref)), ref["logits_file"]),
              "rb") as f:
        raw = f.read()
    a = torch.tensor(struct.unpack("<%df" % (len(raw) // 4), raw)).reshape(ref["logits_shape"])
    b = torch.tensor(got["logits"])
    if a.shape != b.shape:
        sys.exit(f"shape mismatch: reference {tuple(a.shape)}, lamina {tuple(b.shape)}")
    d = (a - b).abs().max().item()
    print(json.dumps({"max_abs_diff": d, "tolerance": LOGITS_TOL, "ok": d <= LOGITS_TOL}))
    sys.exit(0 if d <= LOGITS_TOL else 1)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("random")
    r.add_argument("--out", required=True)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--dtype", default="float16")
    r.add_argument("--tokenizer", default=".cache/lmdata/tokenizer.json")
    d = sub.add_parser("dump")
    d.add_argument("--model", required=True)
    d.add_argument("--text", default=DEFAULT_TEXT)
    d.add_argument("--out", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--ref", required=True)
    c.add_argument("--lamina", required=True)
    args = ap.parse_args()
    {"random": cmd_random, "dump": cmd_dump, "compare": cmd_compare}[args.cmd](args)


if __name__ == "__main__":
    main()
