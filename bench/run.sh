#!/usr/bin/env bash
# Steady-state benchmark: C kernels (integer, float, memory-heavy, call-heavy) built to wasm32
# and natively from one source, run side by side in Lazuli (the single-pass baseline backend
# alone, LLVM's baseline pipeline alone, tiered, eager O2), Wasmtime (PyPI package) and node
# (V8), and natively. Prints markdown tables of times and ratios. Installs what it needs on
# first use.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -c "import wasmtime" 2>/dev/null || python3 -m pip install -q wasmtime
command -v node >/dev/null || { echo "node is required (the peer V8 runs in it)" >&2; exit 1; }
cargo build --release -q -p lazuli-bench

out=target/bench; mkdir -p "$out"
clang-22 --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry -o "$out/kernels.wasm" bench/kernels/kernels.c
clang-22 -O2 -o "$out/kernels-native" bench/kernels/native.c bench/kernels/kernels.c

kernels=("sieve 10" "nbody 100000" "matmul 2" "fibonacci 30")
declare -A native_ms wasmtime_ms
echo "| kernel | native | single-pass baseline | LLVM baseline pipeline | tiered | eager (LLVM O2) | wasmtime | node (V8) | single-pass / O2 | tiered / wasmtime |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for k in "${kernels[@]}"; do
  set -- $k
  name=$1; n=$2
  native=$("$out/kernels-native" "$name" "$n" | cut -d' ' -f2)
  base=$(./target/release/steady "$out/kernels.wasm" "$name" "$n" baseline | cut -d' ' -f2)
  llvm=$(./target/release/steady "$out/kernels.wasm" "$name" "$n" llvm-lazy | cut -d' ' -f2)
  tier=$(./target/release/steady "$out/kernels.wasm" "$name" "$n" tiered | cut -d' ' -f2)
  eager=$(./target/release/steady "$out/kernels.wasm" "$name" "$n" eager | cut -d' ' -f2)
  wt=$(python3 bench/kernels/wasmtime_run.py "$out/kernels.wasm" "$name" "$n" | cut -d' ' -f2)
  v8=$(node bench/kernels/node.mjs "$out/kernels.wasm" "$name" "$n" | cut -d' ' -f2)
  native_ms[$name]=$native; wasmtime_ms[$name]=$wt
  ratios=$(python3 -c "print(f'{$base/$eager:.2f}x | {$tier/$wt:.2f}x')")
  echo "| $name($n) | $native ms | $base ms | $llvm ms | $tier ms | $eager ms | $wt ms | $v8 ms | $ratios |"
done

# `fastest_of_five KERNEL N MODE...`: the fastest time of each mode over five rounds that run the
# modes in turn. Alternating keeps two sides under the same conditions, and the fastest is shown
# because this machine's noise between runs only ever adds time.
fastest_of_five() {
  local name=$1 n=$2; shift 2
  local -a times=()
  local round mode i
  for round in 1 2 3 4 5; do
    i=0
    for mode in "$@"; do
      times[$i]+="$(./target/release/steady "$out/kernels.wasm" "$name" "$n" "$mode" | cut -d' ' -f2) "
      i=$((i + 1))
    done
  done
  for i in "${!times[@]}"; do printf '%s\n' ${times[$i]} | sort -g | head -n 1; done
}

# The cost of epoch interruption (a check at every function entry and loop header), side by
# side with the same mode without it.
echo
echo "| kernel: epoch interruption | lazuli eager | eager + epoch checks | cost | lazuli tiered | tiered + epoch checks | cost |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for k in "${kernels[@]}"; do
  set -- $k
  name=$1; n=$2
  read -r e0 e1 t0 t1 <<< "$(fastest_of_five "$name" "$n" eager eager+epoch tiered tiered+epoch | tr '\n' ' ')"
  ratios=$(python3 -c "print(f'{$e1/$e0:.2f}x | $t0 ms | $t1 ms | {$t1/$t0:.2f}x')")
  echo "| $name($n) | $e0 ms | $e1 ms | $ratios |"
done

# Guard pages against explicit bounds checks (memories not reserved), side by side, with
# native and Wasmtime from the first table.
echo
echo "| kernel: bounds checks | eager, guard pages | eager, explicit checks | checks / guard | single-pass, guard pages | single-pass, checks | checks / guard | eager / native | eager / wasmtime |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for k in "${kernels[@]}"; do
  set -- $k
  name=$1; n=$2
  read -r e0 e1 b0 b1 <<< "$(fastest_of_five "$name" "$n" eager eager+checks baseline baseline+checks | tr '\n' ' ')"
  ratios=$(python3 -c "print(f'{$e1/$e0:.2f}x | $b0 ms | $b1 ms | {$b1/$b0:.2f}x | {$e0/${native_ms[$name]}:.2f}x | {$e0/${wasmtime_ms[$name]}:.2f}x')")
  echo "| $name($n) | $e0 ms | $e1 ms | $ratios |"
done

# Time to first result (compilation included): the kernels, and a large module of 10,000
# functions of which 10 run (the start-up workload).
./target/release/first --write-startup-module "$out/startup.wasm"
echo
echo "| workload: time to first result | lazuli tiered | LLVM alone, lazy | LLVM alone, lazy + speculation | lazuli eager | wasmtime | node (V8) | tiered / node |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for k in "${kernels[@]}" "f0 100 startup"; do
  set -- $k
  name=$1; n=$2; file="$out/kernels.wasm"
  label="$name($n)"
  if [[ "${3:-}" == startup ]]; then file="$out/startup.wasm"; label="10,000 functions, 10 called"; fi
  tier=$(./target/release/first "$file" "$name" "$n" tiered | cut -d' ' -f2)
  lazy=$(./target/release/first "$file" "$name" "$n" lazy | cut -d' ' -f2)
  spec=$(./target/release/first "$file" "$name" "$n" speculative | cut -d' ' -f2)
  eager=$(./target/release/first "$file" "$name" "$n" eager | cut -d' ' -f2)
  wt=$(python3 bench/kernels/wasmtime_first.py "$file" "$name" "$n" | cut -d' ' -f2)
  v8=$(node bench/kernels/node_first.mjs "$file" "$name" "$n" | cut -d' ' -f2)
  ratio=$(python3 -c "print(f'{$tier/$v8:.2f}x')")
  echo "| $label | $tier ms | $lazy ms | $spec ms | $eager ms | $wt ms | $v8 ms | $ratio |"
done

# Compile throughput of the first tiers over every function of the largest modules.
echo
./target/release/throughput target/bench/wasi/sqlite_bench.wasm "$out/startup.wasm" 2>/dev/null \
  || ./target/release/throughput "$out/startup.wasm"
echo
./target/release/decode "$out/startup.wasm" | sed 's/^/Module::new, 10,000 functions: /'
# What memories cost: Lazuli with reservations and without, Wasmtime's default alongside.
echo
./target/release/memory > "$out/memory.md"
python3 bench/kernels/wasmtime_memory.py > "$out/memory-wasmtime.md"
python3 - "$out/memory.md" "$out/memory-wasmtime.md" <<'PY'
import sys
ours = [l.rstrip("\n") for l in open(sys.argv[1]) if l.startswith("|")]
peer = {l.split("|")[1].strip(): l.split("|")[2].strip() for l in open(sys.argv[2]) if l.startswith("|")}
print(ours[0] + " wasmtime |")
print(ours[1] + "---:|")
for line in ours[2:]:
    print(line + f" {peer.get(line.split('|')[1].strip(), '')} |")
PY

echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(uname -m). Steady state: medians of 5 calls after a warm-up; first result: one run, compilation included."
