#!/usr/bin/env python3
"""Renders every testdata/templates/*.jinja against every case in cases.json
with Python's jinja2, set up the way Hugging Face transformers sets it up in
apply_chat_template (transformers/utils/chat_template_utils.py): an
ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, the
loopcontrols extension, a {% generation %} block that just renders its body,
a tojson filter that is json.dumps(ensure_ascii=False), and the
raise_exception and strftime_now globals. HF passes tools=None and
documents=None when none are given, and the tokenizer's special tokens as
variables; so do we.

Writes expected.json, which chattemplate_test.go compares byte for byte, and
features_expected.json from the one-feature templates in features.py.
Run by hand after changing templates or cases:

    python3 tokenizer/chattemplate/testdata/render_reference.py
"""
import datetime
import json
import os
import sys

import jinja2
from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))

# The clock strftime_now reads; the Go test passes the same instant.
FIXED_NOW = datetime.datetime(2025, 7, 10, 12, 0, 0)

SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
}


class RaisedException(TemplateError):
    pass


class GenerationBlock(Extension):
    # HF's AssistantTracker when no assistant mask is requested: the body is
    # rendered unchanged.
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_env():
    def raise_exception(message):
        raise RaisedException(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationBlock, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    cases = json.load(open(os.path.join(HERE, "cases.json"), encoding="utf-8"))
    tools = json.load(open(os.path.join(HERE, "tools.json"), encoding="utf-8"))
    env = make_env()
    tdir = os.path.join(HERE, "templates")
    out = {"jinja2_version": jinja2.__version__, "results": {}}
    for fn in sorted(os.listdir(tdir)):
        if not fn.endswith(".jinja"):
            continue
        src = open(os.path.join(tdir, fn), encoding="utf-8").read()
        results = {}
        try:
            tmpl = env.from_string(src)
        except TemplateError as e:
            print(f"{fn}: does not parse: {e}", file=sys.stderr)
            out["results"][fn] = {"parse_error": str(e)}
            continue
        for case in cases:
            for agp in (False, True):
                key = f"{case['name']}/agp={'true' if agp else 'false'}"
                kwargs = dict(SPECIAL_TOKENS)
                kwargs.update(case.get("vars", {}))
                try:
                    text = tmpl.render(
                        messages=case["messages"],
                        tools=tools[case["tools"]] if "tools" in case else None,
                        documents=case.get("documents"),
                        add_generation_prompt=agp,
                        **kwargs,
                    )
                    results[key] = {"output": text}
                except RaisedException as e:
                    results[key] = {"raised": str(e)}
                except Exception as e:  # UndefinedError, TypeError, SecurityError...
                    results[key] = {"error": f"{type(e).__name__}: {e}"}
        out["results"][fn] = results
    sys.path.insert(0, HERE)
    from features import FEATURES

    feats = {}
    for name, src, variables in FEATURES:
        try:
            feats[name] = {"output": env.from_string(src).render(**variables)}
        except RaisedException as e:
            feats[name] = {"raised": str(e)}
        except Exception as e:
            feats[name] = {"error": f"{type(e).__name__}: {e}"}
    with open(os.path.join(HERE, "features_expected.json"), "w", encoding="utf-8") as f:
        json.dump({"jinja2_version": jinja2.__version__, "features": [
            dict(name=n, template=s, vars=v, **feats[n]) for n, s, v in FEATURES]}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    n = sum(len(r) for r in out["results"].values())
    print(f"{len(out['results'])} templates, {n} template x case pairs")


if __name__ == "__main__":
    main()
