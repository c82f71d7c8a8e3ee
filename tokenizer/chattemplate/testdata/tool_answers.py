#!/usr/bin/env python3
"""Renders tool calls the way real templates write them, with Python's jinja2
set up as transformers does (render_reference.py's environment): for each
template, the prompt with tools offered (from which lamina reads the call
format) and, for a few sets of calls, the assistant's turn as the template
renders an assistant message with those tool_calls (the text a model trained
on it writes), cut from the render of the conversation after the render of
its prompt, with the end-of-turn marker taken off (generation stops at it).
The format each template uses is named here by hand. Writes
tool_answers.json, which tools_test.go parses back into the calls. Run by
hand after changing templates or calls:

    python3 tokenizer/chattemplate/testdata/tool_answers.py
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from render_reference import SPECIAL_TOKENS, RaisedException, make_env  # noqa: E402

TEMPLATES = {
    "Qwen--Qwen2.5-7B-Instruct.jinja": "hermes",
    "Qwen--Qwen3-0.6B.jinja": "hermes",
    "NousResearch--Hermes-2-Pro-Llama-3-8B-jsonschema.jinja": "hermes",
    "HuggingFaceTB--SmolLM3-3B.jinja": "hermes",
    "llama.cpp-2026--ibm-granite-granite-4.0.jinja": "hermes",
    "meta-llama--Llama-3.1-8B-Instruct.jinja": "json",
    "llama.cpp--meta-llama-Llama-3.2-3B-Instruct.jinja": "json",
    "CISCai--Mistral-7B-Instruct-v0.3-SOTA-GGUF.jinja": "mistral",
    "mistralai--Mistral-7B-Instruct-v0.3-jsonschema.jinja": "mistral",
    "mistralai--Mistral-Nemo-Instruct-2407.jinja": "mistral",
    "llama.cpp--mistralai-Mistral-Small-3.1-24B-Instruct-2503.jinja": "mistral",
    "llama.cpp--Mistral-Small-3.2-24B-Instruct-2506.jinja": "mistral",
    "llama.cpp--unsloth-mistral-Devstral-Small-2507.jinja": "mistral",
    "llama.cpp-2026--mistralai-Ministral-3-14B-Reasoning-2512.jinja": "mistral",
    "llama.cpp--microsoft-Phi-4-mini-instruct.jinja": "tool_call_token",
}

# Markers that end an assistant turn: generation stops there.
END = ["</s>", "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "<|end_of_text|>"]


def call(i, name, args):
    return {"id": f"call{i:05d}", "type": "function", "function": {"name": name, "arguments": args}}


CALLS = [
    [call(1, "get_current_temperature", {"location": "Paris, France", "unit": "celsius"})],
    [call(2, "get_current_wind_speed", {"location": "Zürich \"old town\"", "samples": 3, "gusts": True, "threshold": 0.5})],
    [call(3, "get_current_temperature", {"location": "Oslo", "unit": "celsius"}), call(4, "get_current_wind_speed", {"location": "Oslo", "samples": 2})],
    [call(5, "list_stations", {})],
]


def main():
    tools = json.load(open(os.path.join(HERE, "tools.json"), encoding="utf-8"))["weather"]
    user = [{"role": "user", "content": "What is the weather like?"}]
    env = make_env()
    out = []
    for fn, fmt in TEMPLATES.items():
        tmpl = env.from_string(open(os.path.join(HERE, "templates", fn), encoding="utf-8").read())

        def render(msgs, gen):
            return tmpl.render(messages=msgs, tools=tools, documents=None, add_generation_prompt=gen, **SPECIAL_TOKENS)

        prompt = render(user, True)
        answers = []
        for calls in CALLS:
            try:
                full = render(user + [{"role": "assistant", "content": "", "tool_calls": calls}], False)
            except RaisedException as e:  # e.g. Llama 3.1: one call at a time
                answers.append({"calls": calls, "raised": str(e)})
                continue
            if not full.startswith(prompt):
                raise SystemExit(f"{fn}: the conversation does not extend its prompt")
            text = full[len(prompt):]
            cut = True
            while cut:
                cut = False
                text = text.rstrip()
                for e in END:
                    if text.endswith(e):
                        text, cut = text[: -len(e)], True
            if text.strip() == "":  # the template drops tool_calls (SmolLM3): no reference
                answers.append({"calls": calls, "not_rendered": True})
                continue
            answers.append({"calls": calls, "text": text.strip()})
        out.append({"template": fn, "format": fmt, "prompt": prompt, "answers": answers})
    with open(os.path.join(HERE, "tool_answers.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
