#!/usr/bin/env python3
"""Renders the tool-calling conversations of cases.json with Python's jinja2,
set up as transformers does (tokenizer/chattemplate/testdata/render_reference.py's
environment), through real templates that render tools. Each case holds the
request as an OpenAI client sends it ("openai": tool_calls arguments as JSON
strings) and the same conversation as transformers' documentation writes it
("hf": arguments as objects); jinja2 renders the "hf" form, and the Go test
renders the "openai" form through the worker's request parsing: the two must
agree byte for byte. Run by hand after changing the cases:

    python3 worker/testdata/chat-tools/render_expected.py
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CT = os.path.join(HERE, "..", "..", "..", "tokenizer", "chattemplate", "testdata")
sys.path.insert(0, CT)
from render_reference import SPECIAL_TOKENS, RaisedException, make_env  # noqa: E402

TEMPLATES = [
    "Qwen--Qwen2.5-7B-Instruct.jinja",
    "Qwen--Qwen3-0.6B.jinja",
    "meta-llama--Llama-3.1-8B-Instruct.jinja",
    "HuggingFaceTB--SmolLM3-3B.jinja",
    "NousResearch--Hermes-2-Pro-Llama-3-8B-jsonschema.jinja",
]


def main():
    cases = json.load(open(os.path.join(HERE, "cases.json"), encoding="utf-8"))
    env = make_env()
    out = {}
    for fn in TEMPLATES:
        tmpl = env.from_string(open(os.path.join(CT, "templates", fn), encoding="utf-8").read())
        res = {}
        for case in cases:
            try:
                res[case["name"]] = {"output": tmpl.render(messages=case["hf"]["messages"], tools=case["hf"].get("tools"),
                                                           documents=None, add_generation_prompt=True, **SPECIAL_TOKENS)}
            except RaisedException as e:
                res[case["name"]] = {"raised": str(e)}
            except Exception as e:  # e.g. a template that loops over tools=None
                res[case["name"]] = {"error": f"{type(e).__name__}: {e}"}
        out[fn] = res
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
