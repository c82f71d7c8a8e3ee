"""Write / read the Hugging Face model directory for our Llama model."""
import json
import os
import shutil

import torch

import safetensors_io
from model import LlamaForCausalLM, hf_config

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def export_hf(model, arch, tokenizer_path, out_dir, weights_dtype="float16", bos_id=0, eos_id=0,
              extra=None):
    """Saves config.json, model.safetensors (weights in `weights_dtype`), tokenizer files and
    generation_config.json. config.json says torch_dtype float32: the reference computation is
    float32 on the stored (possibly f16-rounded) weights, which is what transformers does when it
    upcasts on load and what lamina does (f16/bf16 storage, f32 compute)."""
    os.makedirs(out_dir, exist_ok=True)
    dt = _DTYPES[weights_dtype]
    sd = {k: v.detach().to("cpu", dt) for k, v in model.state_dict().items()
          if not k.startswith("rope_")}
    if arch.get("tie_word_embeddings", True):
        sd.pop("lm_head.weight", None)  # tied: HF save_pretrained omits it too
    safetensors_io.save_file(sd, os.path.join(out_dir, "model.safetensors"),
                             metadata={"format": "pt"})
    cfg = hf_config(arch, bos_id, eos_id, "float32")
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": bos_id, "eos_token_id": eos_id, "pad_token_id": eos_id,
                   "do_sample": True, "temperature": 0.8, "top_k": 40, "max_new_tokens": 64},
                  f, indent=2)
    shutil.copyfile(tokenizer_path, os.path.join(out_dir, "tokenizer.json"))
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|endoftext|>",
                   "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                   "unk_token": None, "model_max_length": arch["max_position_embeddings"],
                   "clean_up_tokenization_spaces": False}, f, indent=2)
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                   "pad_token": "<|endoftext|>"}, f, indent=2)
    if extra:
        with open(os.path.join(out_dir, "training_recipe.json"), "w") as f:
            json.dump(extra, f, indent=2)
    return cfg


def arch_from_hf_config(cfg):
    rope_theta = cfg.get("rope_theta")
    if rope_theta is None:
        rope_theta = (cfg.get("rope_parameters") or {}).get("rope_theta", 10000.0)
    return {k: cfg[k] for k in ("vocab_size", "hidden_size", "intermediate_size",
                                "num_hidden_layers", "num_attention_heads",
                                "num_key_value_heads", "max_position_embeddings",
                                "rms_norm_eps")} | {
        "rope_theta": rope_theta, "tie_word_embeddings": cfg.get("tie_word_embeddings", False)}


def load_hf(model_dir, device="cpu"):
    """Our PyTorch model from an HF directory, float32 compute on the stored weights."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type") != "llama":
        raise ValueError(f"model_type {cfg.get('model_type')!r} is not llama")
    arch = arch_from_hf_config(cfg)
    m = LlamaForCausalLM(arch)
    sd = {k: v.float() for k, v in safetensors_io.load_file(
        os.path.join(model_dir, "model.safetensors")).items()}
    missing, unexpected = m.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not (arch["tie_word_embeddings"] and k == "lm_head.weight")]
    if missing or unexpected:
        raise ValueError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    return m.to(device).eval(), arch
