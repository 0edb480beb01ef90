#!/usr/bin/env bash
# The cost of a code option in instructions rather than time: `bash bench/cost.sh OPTION MODE...`
# runs each kernel under callgrind in each MODE of the `steady` benchmark (eager, baseline:
# deterministic code) without and with OPTION (`+epoch`: epoch interruption checks; `+checks`:
# memories not reserved, so every access is bounds-checked), once with its benchmark argument
# and once with 0; the difference is the kernel's own work (6 calls: a warm-up and 5 measured),
# free of compilation. Instruction counts repeat exactly from run to run, where times on this
# machine vary by up to 2x. Slow (about a minute per kernel and mode); needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
option=${1:?usage: bench/cost.sh +epoch|+checks MODE...}; shift
modes=("${@:-eager}")
command -v valgrind >/dev/null || { echo "valgrind is required" >&2; exit 1; }
cargo build --release -q -p lazuli-bench
out=target/bench; mkdir -p "$out"
[[ -f "$out/kernels.wasm" ]] || clang-22 --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry -o "$out/kernels.wasm" bench/kernels/kernels.c

count() { # kernel n mode -> instructions
  valgrind --tool=callgrind --smc-check=all --callgrind-out-file=/dev/null ./target/release/steady \
    "$out/kernels.wasm" "$1" "$2" "$3" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "| kernel (6 calls) | mode | instructions | with $option | ratio |"
echo "|---|---|---:|---:|---:|"
for k in "sieve 10" "nbody 100000" "matmul 2" "fibonacci 30"; do
  set -- $k
  for mode in "${modes[@]}"; do
    plain=$(( $(count "$1" "$2" "$mode") - $(count "$1" 0 "$mode") ))
    with=$(( $(count "$1" "$2" "$mode$option") - $(count "$1" 0 "$mode$option") ))
    echo "| $1($2) | $mode | $plain | $with | $(python3 -c "print(f'{$with/$plain:.3f}x')") |"
  done
done
