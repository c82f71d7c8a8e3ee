#!/usr/bin/env bash
# Real-GPU benchmark: lamina's WebGPU backend under Node + Dawn (Vulkan)
# against torch cuBLAS and Hugging Face transformers on the same GPU.
# Run from the repo root on the GPU machine after bench/gpu/prepare.sh staged
# .dev/gpu/ here. Writes webgpu.log, torch.log, results.json and table.txt
# to $OUT (default .dev/gpu-out). WEBGPU_ONLY=1 skips the Dawn
# no-robustness rerun and torch (e.g. GPUBENCH_ARGS='-run matvecq' for the
# int8/int4 matvec bandwidth alone).
set -uo pipefail
G=.dev/gpu
OUT="${OUT:-$PWD/.dev/gpu-out}"
mkdir -p "$OUT"
work="$(mktemp -d)"
unxz() { python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; }
unxz "$G/node.xz" "$work/node" && chmod +x "$work/node"
unxz "$G/dawn.node.xz" "$work/dawn.node"
unxz "$G/gpubench.wasm.xz" "$work/gpubench.wasm"
unxz "$G/webgpu.test.wasm.xz" "$work/webgpu.test.wasm"

# Vulkan loader + GL dispatch libs the NVIDIA ICD needs.
for d in "$G"/debs/*.deb; do
  if command -v dpkg >/dev/null; then dpkg -x "$d" / ; else
    python3 - "$d" <<'PY'
import io, sys, tarfile, lzma
data = open(sys.argv[1], 'rb').read()
i = 8
while i < len(data):
    name = data[i:i+16].decode().strip(); size = int(data[i+48:i+58]); body = data[i+60:i+60+size]
    if name.startswith('data.tar'):
        tarfile.open(fileobj=io.BytesIO(body)).extractall('/')
    i += 60 + size + (size & 1)
PY
  fi
done
ldconfig 2>/dev/null || true
for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$f" ]; then export VK_DRIVER_FILES="$f"; break; fi
done
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-none}" | tee "$OUT/env.txt"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$OUT/env.txt"
"$work/node" --version | tee -a "$OUT/env.txt"

echo "== lamina WebGPU kernel tests on the real GPU (Dawn) =="
timeout "${TEST_TIMEOUT:-120}" "$work/node" bench/gpu/driver.mjs --dawn "$work/dawn.node" \
  --wasm-exec "$G/wasm_exec.js" "$work/webgpu.test.wasm" -test.v > "$OUT/kerneltests.log" 2>&1
echo "kernel tests exit code $?" | tee -a "$OUT/env.txt"
grep -E "^(--- FAIL|FAIL|PASS|ok|adapter)|MISMATCH|: nmse" "$OUT/kerneltests.log" | grep -v "^    --- PASS" | head -40
echo "== lamina WebGPU (Dawn) =="
timeout "${WEBGPU_TIMEOUT:-300}" "$work/node" bench/gpu/driver.mjs --dawn "$work/dawn.node" \
  --wasm-exec "$G/wasm_exec.js" "$work/gpubench.wasm" ${GPUBENCH_ARGS:-} 2>&1 | tee "$OUT/webgpu.log"
if [ -z "${WEBGPU_ONLY:-}" ]; then
echo "== lamina WebGPU matmul with Dawn's robustness checks off (reference only) =="
DAWN_FLAGS="enable-dawn-features=disable_robustness" timeout 120 "$work/node" bench/gpu/driver.mjs --dawn "$work/dawn.node" \
  --wasm-exec "$G/wasm_exec.js" "$work/gpubench.wasm" -run matmul -label no-robustness 2>&1 | tee -a "$OUT/webgpu.log"
echo "== torch / transformers =="
timeout "${TORCH_TIMEOUT:-240}" python3 bench/gpu/torch_bench.py 2>&1 | grep -v Warning | tee "$OUT/torch.log"
fi
echo "== table =="
python3 bench/gpu/report.py "$OUT/webgpu.log" "$OUT/torch.log" "$OUT/results.json" | tee "$OUT/table.txt"
rm -rf "$work"
