#!/usr/bin/env bash
# SIMD kernels (bench/kernels/simd.c: a byte scanner, a 16-bit dot product, float clamping)
# built with -msimd128: steady state of the single-pass tier alone (its SIMD inline, SSE4.1),
# tiered and eager against Wasmtime, and the time to the first result (compilation included),
# tiered against Wasmtime's compile + run. Prints markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -c "import wasmtime" 2>/dev/null || python3 -m pip install -q wasmtime
cargo build --release -q -p lazuli-bench

out=target/bench; mkdir -p "$out"
clang-22 --target=wasm32 -O2 -msimd128 -nostdlib -Wl,--no-entry -o "$out/simd.wasm" bench/kernels/simd.c
n=${N:-2000}
ratio() { python3 -c "print(f'{$1/$2:.2f}x')"; }

echo "| kernel($n), steady state | single-pass | tiered | eager (LLVM O2) | wasmtime | single-pass / wasmtime |"
echo "|---|---:|---:|---:|---:|---:|"
for k in scan dot16 clamp; do
  base=$(./target/release/steady "$out/simd.wasm" "$k" "$n" baseline | cut -d' ' -f2)
  tier=$(./target/release/steady "$out/simd.wasm" "$k" "$n" tiered | cut -d' ' -f2)
  eager=$(./target/release/steady "$out/simd.wasm" "$k" "$n" eager | cut -d' ' -f2)
  wt=$(python3 bench/kernels/wasmtime_run.py "$out/simd.wasm" "$k" "$n" | cut -d' ' -f2)
  echo "| $k | $base ms | $tier ms | $eager ms | $wt ms | $(ratio "$base" "$wt") |"
done
echo
echo "| kernel($n): time to first result | lazuli tiered | wasmtime | tiered / wasmtime |"
echo "|---|---:|---:|---:|"
for k in scan dot16 clamp; do
  tier=$(./target/release/first "$out/simd.wasm" "$k" "$n" tiered | cut -d' ' -f2)
  wt=$(python3 bench/kernels/wasmtime_first.py "$out/simd.wasm" "$k" "$n" | cut -d' ' -f2)
  echo "| $k | $tier ms | $wt ms | $(ratio "$tier" "$wt") |"
done
echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(uname -m). Steady state: medians of 5 calls after a warm-up."
