#!/usr/bin/env bash
# The cost of epoch interruption in instructions rather than time: each kernel runs eagerly
# (deterministic code) under callgrind with and without epoch checks, once with its benchmark
# argument and once with 0; the difference is the kernel's own work (6 calls: a warm-up and 5
# measured), free of compilation. Instruction counts repeat exactly from run to run, where times
# on this machine vary by up to 2x. Slow (about a minute per kernel); needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required" >&2; exit 1; }
cargo build --release -q -p lazuli-bench
out=target/bench; mkdir -p "$out"
[[ -f "$out/kernels.wasm" ]] || clang-22 --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry -o "$out/kernels.wasm" bench/kernels/kernels.c

count() { # kernel n mode -> instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null ./target/release/steady \
    "$out/kernels.wasm" "$1" "$2" "$3" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "| kernel (6 calls, eager) | instructions | with epoch checks | cost |"
echo "|---|---:|---:|---:|"
for k in "sieve 10" "nbody 100000" "matmul 2" "fibonacci 30"; do
  set -- $k
  plain=$(( $(count "$1" "$2" eager) - $(count "$1" 0 eager) ))
  epoch=$(( $(count "$1" "$2" eager+epoch) - $(count "$1" 0 eager+epoch) ))
  echo "| $1($2) | $plain | $epoch | $(python3 -c "print(f'{$epoch/$plain:.3f}x')") |"
done
