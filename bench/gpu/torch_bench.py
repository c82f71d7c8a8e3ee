"""Torch baselines for bench/gpu/run.sh, on the same GPU as the WebGPU run.

(a) fp32 matmul at 4096³ through cuBLAS with TF32 off (torch.mm of x and wᵀ,
    the layout lamina's kernel computes);
(b) batch-1 greedy decode tokens/s of Hugging Face transformers' eager
    generate() for a randomly initialised LlamaForCausalLM with
    SmolLM2-135M's config, in fp32 and bf16.
Prints one JSON object per line, prefixed "RESULT ".
"""
import json
import sys
import time

import torch


def emit(d):
    print("RESULT " + json.dumps(d), flush=True)


def bench_matmul(n=4096, iters=20):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    x = torch.randn(n, n, device="cuda", dtype=torch.float32)
    w = torch.randn(n, n, device="cuda", dtype=torch.float32)
    for _ in range(3):
        torch.mm(x, w.t())
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iters):
        torch.mm(x, w.t())
    torch.cuda.synchronize()
    el = time.perf_counter() - start
    emit({"metric": "torch_matmul_f32", "n": n, "iters": iters, "seconds": el,
          "gflops": 2 * n ** 3 * iters / el / 1e9, "tf32": torch.backends.cuda.matmul.allow_tf32,
          "device": torch.cuda.get_device_name()})


def bench_hf(tokens=128):
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                      num_attention_heads=9, num_key_value_heads=3, vocab_size=49152,
                      max_position_embeddings=8192, rms_norm_eps=1e-5, rope_theta=100000.0,
                      tie_word_embeddings=True, hidden_act="silu")
    for dtype in (torch.float32, torch.bfloat16):
        torch.manual_seed(0)
        model = LlamaForCausalLM._from_config(cfg, attn_implementation="eager", torch_dtype=dtype)
        model = model.to("cuda").eval()
        ids = torch.tensor([[1]], device="cuda")
        kw = dict(max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False, pad_token_id=0)
        with torch.no_grad():
            model.generate(ids, max_new_tokens=8, min_new_tokens=8, do_sample=False, pad_token_id=0)
            torch.cuda.synchronize()
            start = time.perf_counter()
            out = model.generate(ids, **kw)
            torch.cuda.synchronize()
            el = time.perf_counter() - start
        n = out.shape[1] - 1
        emit({"metric": "hf_decode", "dtype": str(dtype).replace("torch.", ""), "tokens": n,
              "tok_per_s": n / el, "transformers": transformers.__version__, "torch": torch.__version__})
        del model
        torch.cuda.empty_cache()


if __name__ == "__main__":
    which = sys.argv[1:] or ["matmul", "hf"]
    if "matmul" in which:
        bench_matmul()
    if "hf" in which:
        bench_hf()
