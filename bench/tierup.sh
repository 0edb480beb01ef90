#!/usr/bin/env bash
# Tier-up with hundreds of hot functions: a generated C program (bench/tierup/many.py: 400
# small functions with loops, called in 60,000 rounds) run to exit with one and two optimizing
# workers (`lazuli run --stats --workers N`): run time, functions optimized before the end, the
# average wait from tier-up request to optimized code, against Wasmtime (compile + run).
# Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -c "import wasmtime" 2>/dev/null || python3 -m pip install -q wasmtime
cargo build --release -q -p lazuli-cli

out=target/bench/tierup; mkdir -p "$out"
python3 bench/tierup/many.py 400 60000 > "$out/many.c"
clang-22 --target=wasm32-wasi -Wno-deprecated --sysroot=/usr -O2 "$out/many.c" -o "$out/many.wasm"
seconds() { python3 -c "import subprocess, sys, time
t = time.perf_counter(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(f'{time.perf_counter() - t:.2f}')" "$@"; }
wt=$(seconds python3 bench/wasi/wasmtime_run.py "$out/many.wasm")
echo "| 400 hot functions, run to exit | time | optimized before the end | average wait for optimized code | time / wasmtime |"
echo "|---|---:|---:|---:|---:|"
for workers in 1 2; do
  start=$(date +%s.%N)
  stats=$(./target/release/lazuli run --stats --workers "$workers" "$out/many.wasm" 2>&1 >/dev/null || true)
  took=$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')")
  optimized=$(echo "$stats" | sed -nE 's/.*baseline, ([0-9]+) optimized.*/\1/p')
  wait=$(echo "$stats" | sed -nE 's/.*waited ([0-9.]+) ms on average.*/\1/p')
  echo "| lazuli, $workers optimizing worker(s) | $took s | $optimized | ${wait:-?} ms | $(python3 -c "print(f'{$took / $wt:.2f}x')") |"
done
echo "| wasmtime (PyPI), compile + run | $wt s | | | 1.00x |"
echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(uname -m)."
