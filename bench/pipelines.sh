#!/usr/bin/env bash
# The optimizing tier's LLVM pipeline, chosen by measurement: for each candidate IR pipeline
# (LAZULI_LLVM_PASSES) and code generator level (LAZULI_LLVM_CODEGEN), the eager compile time
# of SQLite (bench/wasi.sh's program, --jobs 2), its run time from the compiled .lzc, and the
# steady-state time of the C kernels compiled eagerly (fastest of three runs each). Prints a
# markdown table. Needs bench/run.sh and bench/wasi.sh to have built their inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p lazuli-cli -p lazuli-bench
lazuli=./target/release/lazuli
app=target/bench/wasi/sqlite_bench.wasm
kernels_wasm=target/bench/kernels.wasm
[[ -f $app && -f $kernels_wasm ]] || { echo "run bench/run.sh and bench/wasi.sh first" >&2; exit 1; }
kernels=("sieve 10" "nbody 100000" "matmul 2" "fibonacci 30")
lzc=$(mktemp --suffix .lzc)
trap 'rm -f "$lzc"' EXIT

# Fastest of three runs of a command, in seconds.
fastest() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
best = None
for _ in range(3):
    start = time.perf_counter()
    subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
print(f"{best:.2f}")
PY
}

candidates=(
  "default<O1>|default"
  "default<O2>|default"
  "default<O3>|default"
  "default<O2>|less"
  "function(sroa,early-cse<memssa>,instcombine<no-verify-fixpoint>,simplifycfg,loop-mssa(licm),gvn,instcombine<no-verify-fixpoint>,simplifycfg)|default"
  "function(sroa,early-cse<memssa>,instcombine<no-verify-fixpoint>,simplifycfg,loop-mssa(licm),gvn,instcombine<no-verify-fixpoint>,simplifycfg)|less"
  "function(sroa,early-cse<memssa>,instcombine<no-verify-fixpoint>,simplifycfg)|default"
)
echo "| IR pipeline | code generator | SQLite compile (s) | SQLite run (s) | sieve (ms) | nbody (ms) | matmul (ms) | fibonacci (ms) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
# PIPELINES=4,6 measures only those candidates (1-based), for a quicker look.
picked=()
for i in "${!candidates[@]}"; do
  [[ -z ${PIPELINES:-} || ",$PIPELINES," == *",$((i + 1)),"* ]] && picked+=("${candidates[$i]}")
done
for c in "${picked[@]}"; do
  passes=${c%|*}; codegen=${c#*|}
  export LAZULI_LLVM_PASSES=$passes LAZULI_LLVM_CODEGEN=$codegen
  start=$(date +%s.%N)
  $lazuli compile --jobs 2 "$app" -o "$lzc" 2>/dev/null
  compile=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
  run=$(fastest $lazuli run --allow-precompiled "$lzc")
  row="| \`$passes\` | $codegen | $compile | $run"
  for k in "${kernels[@]}"; do
    set -- $k
    best=""
    for _ in 1 2 3; do
      t=$(./target/release/steady "$kernels_wasm" "$1" "$2" eager | cut -d' ' -f2)
      best=$(python3 -c "print(min(float('$t'), float('${best:-$t}')))")
    done
    row+=" | $best"
  done
  echo "$row |"
done
