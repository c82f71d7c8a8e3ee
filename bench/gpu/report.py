"""Prints the comparison table of bench/gpu/run.sh from the RESULT lines of
the WebGPU (Dawn) run and the torch run, and writes results.json."""
import json
import sys


def load(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("RESULT "):
                    rows.append(json.loads(line[7:]))
    except FileNotFoundError:
        pass
    return rows


def main(webgpu_log, torch_log, out_json):
    w, t = load(webgpu_log), load(torch_log)
    res = {"webgpu": w, "torch": t}
    with open(out_json, "w") as f:
        json.dump(res, f, indent=1)
    adapter = next((r for r in w if r.get("metric") == "adapter"), {})
    print("adapter (Dawn):", adapter.get("adapter"), "| torch device:",
          next((r.get("device") for r in t if r.get("device")), "?"))
    for r in w + t:
        if "error" in r:
            print("ERROR:", r["error"])
    mm = next((r for r in w if r.get("metric") == "matmul_f32" and not r.get("label")), None)
    tm = next((r for r in t if r.get("metric") == "torch_matmul_f32"), None)
    print()
    print("%-44s %14s %14s %8s" % ("benchmark", "lamina WebGPU", "torch", "ratio"))
    if mm and tm:
        print("%-44s %14.0f %14.0f %7.1f%%" % ("matmul f32 4096³ GFLOP/s (TF32 off)", mm["gflops"], tm["gflops"],
                                             100 * mm["gflops"] / tm["gflops"]))
        print("  (WGSL matmul spot-check max rel err %.1e; goal ≥ 80%% of cuBLAS)" % mm["max_rel_err"])
        for r in w:
            if r.get("metric") == "matmul_f32" and r.get("label"):
                print("%-44s %14.0f %14.0f %7.1f%%" % ("  same, Dawn " + r["label"], r["gflops"], tm["gflops"],
                                                     100 * r["gflops"] / tm["gflops"]))
    hf = {r["dtype"]: r for r in t if r.get("metric") == "hf_decode"}
    for r in w:
        if r.get("metric") != "decode" or r.get("label"):
            continue
        base = hf.get("float32" if r["dtype"] == "F32" else "bfloat16")
        name = "decode tok/s %s %s (%d disp/tok)" % (r["dtype"], r["variant"], r["dispatches_per_token"])
        if "host_ms_per_token" in r:
            name += " host %.2f ms/tok" % r["host_ms_per_token"]
        if base:
            print("%-62s %14.1f %14.1f %7.1fx" % (name, r["tok_per_s"], base["tok_per_s"], r["tok_per_s"] / base["tok_per_s"]))
        else:
            print("%-62s %14.1f %14s" % (name, r["tok_per_s"], "n/a"))
    print("  (torch column: HF transformers eager generate, greedy, batch 1, same shape; goal ≥ 10x)")
    mv = [r for r in w if r.get("metric") == "matvec_q" and not r.get("label")]
    if mv:
        print()
        print("%-44s %10s %12s %10s %9s %9s" % ("decode matvec (N,K)=(%d,%d)" % (mv[0]["n"], mv[0]["k"]),
                                               "us/matvec", "weight MB", "GB/s", "vs f16", "max rel"))
        for r in mv:
            print("%-44s %10.1f %12.1f %10.0f %8.2fx %9.1e" % ("  " + r["format"], r["us_per_matvec"],
                  r["weight_bytes"] / 1e6, r["gb_per_s"], r["speedup_vs_f16"], r["max_rel_err"]))
        print("  (weight bytes / time: the matvec reads each weight byte once; goal: int4 well above f16)")


if __name__ == "__main__":
    main(*sys.argv[1:4])
