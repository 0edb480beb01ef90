#!/usr/bin/env bash
# Profile-guided optimization: what the first tier's profile costs and what it buys.
# 1. The cost of counting: the C kernels in the single-pass backend alone against the same code
#    counting its profile (calls, loop iterations, branch arms; tier-up never reached), fastest
#    of seven alternating runs each.
# 2. Loops that outlive tier-up: first-tier loop iterations run after the function's optimized
#    code was installed (in a frame entered before it, until its OSR entry is ready), and the
#    OSR entries compiled, for one call of each kernel and one run of SQLite (`lazuli run
#    --stats`).
# 3. One long call, time to first result: tiered (the frame moves through its OSR entry),
#    eager and Wasmtime, median of five each.
# 4. What a profile buys an image: SQLite run once to record a profile (`lazuli run
#    --profile-out`), compiled into four images (all-O2 and both tiers, each with and without
#    the profile), their compile times against Wasmtime's, and the images run alternately
#    (median of RUNS, default 15); outputs must agree.
# Prints markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -q -p lazuli-bench -p lazuli-cli

out=target/bench; mkdir -p "$out/pgo"
clang-22 --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry -o "$out/kernels.wasm" bench/kernels/kernels.c

fastest() { printf '%s\n' "$@" | sort -g | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| kernel | single-pass | single-pass, counting its profile | cost |"
echo "|---|---:|---:|---:|"
for k in "sieve 10" "nbody 100000" "matmul 2" "fibonacci 30"; do
  set -- $k
  plain=(); counting=()
  for round in 1 2 3 4 5 6 7; do
    plain+=("$(./target/release/steady "$out/kernels.wasm" "$1" "$2" baseline | cut -d' ' -f2)")
    counting+=("$(./target/release/steady "$out/kernels.wasm" "$1" "$2" counting | cut -d' ' -f2)")
  done
  p=$(fastest "${plain[@]}"); c=$(fastest "${counting[@]}")
  echo "| $1($2) | $p ms | $c ms | $(python3 -c "print(f'{$c/$p:.2f}x')") |"
done

bash bench/wasi/build-sqlite.sh
app="$out/wasi/sqlite_bench.wasm"
lazuli=./target/release/lazuli

# `late NAME CMD...`: a table row from the iterations line of `lazuli run --stats`.
late() {
  local name=$1; shift
  local line
  local stats line osr
  stats=$("$@" 2>&1 >/dev/null || true)
  line=$(echo "$stats" | grep 'first-tier loops ran' || true)
  osr=$(echo "$stats" | sed -nE 's/.*stats: ([0-9]+) OSR entries.*/\1/p')
  if [[ -z "$line" ]]; then echo "| $name | no loop ran | | |"; return; fi
  echo "$line" | sed -E "s/.*ran ([0-9]+) iterations, ([0-9]+) \(([0-9.]+)%\).*/| $name | \1 | \2 (\3%) | ${osr:-0} |/"
}
echo
echo "| one run, tiered | first-tier loop iterations | of them after the function's optimized code was installed | OSR entries |"
echo "|---|---:|---:|---:|"
for k in "sieve 10" "nbody 100000" "matmul 2" "fibonacci 30"; do
  set -- $k
  late "$1($2), one call" $lazuli run --stats "$out/kernels.wasm" --invoke "$1" "$2"
done
late "SQLite, run to exit" $lazuli run --stats "$app"

# 3. One long call, time to first result (compilation included): a frame that stays in its loop
#    moves into optimized code through its OSR entry; against Wasmtime's compile + run.
python3 -c "import wasmtime" 2>/dev/null || python3 -m pip install -q wasmtime
echo
echo "| one long call: time to first result | lazuli tiered | lazuli eager (LLVM O2) | wasmtime | tiered / wasmtime |"
echo "|---|---:|---:|---:|---:|"
for k in "sieve 100" "nbody 1000000" "matmul 10"; do
  set -- $k
  tiered=(); eager=(); wt=()
  for _ in 1 2 3 4 5; do
    tiered+=("$(./target/release/first "$out/kernels.wasm" "$1" "$2" tiered | cut -d' ' -f2)")
    eager+=("$(./target/release/first "$out/kernels.wasm" "$1" "$2" eager | cut -d' ' -f2)")
    wt+=("$(python3 bench/kernels/wasmtime_first.py "$out/kernels.wasm" "$1" "$2" | cut -d' ' -f2)")
  done
  t=$(median "${tiered[@]}"); e=$(median "${eager[@]}"); w=$(median "${wt[@]}")
  echo "| $1($2) | $t ms | $e ms | $w ms | $(python3 -c "print(f'{$t/$w:.2f}x')") |"
done
runs=${RUNS:-15}
$lazuli run --tier-up 4294967295 --profile-out "$out/pgo/sqlite.prof" "$app" > "$out/pgo/expected.txt"
# `image NAME ARGS...`: compile SQLite with `lazuli compile ARGS`, recording the seconds.
declare -A compile_s
image() {
  local name=$1; shift
  local start; start=$(date +%s.%N)
  $lazuli compile "$@" "$app" -o "$out/pgo/$name.lzc" 2> /dev/null
  compile_s[$name]=$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')")
}
image all-o2 --all-optimized
image all-o2-profiled --all-optimized --profile "$out/pgo/sqlite.prof"
image both-tiers
image both-tiers-profiled --profile "$out/pgo/sqlite.prof"
wasmtime_s=$(python3 -c "
import time, wasmtime
wasm = open('$app', 'rb').read()
start = time.perf_counter(); wasmtime.Module(wasmtime.Engine(), wasm)
print(f'{time.perf_counter() - start:.2f}')")
python3 - "$runs" "$out/pgo" "$lazuli" "$wasmtime_s" "${compile_s[all-o2]}" "${compile_s[all-o2-profiled]}" \
  "${compile_s[both-tiers]}" "${compile_s[both-tiers-profiled]}" <<'PY'
import statistics, subprocess, sys, time
runs, d, lazuli, wasmtime_s = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
compile_s = dict(zip(["all-o2", "all-o2-profiled", "both-tiers", "both-tiers-profiled"], map(float, sys.argv[5:9])))
labels = {
    "all-o2": "all-O2 image (`lazuli compile --all-optimized`)",
    "all-o2-profiled": "all-O2 with the profile's branch weights (`--all-optimized --profile`)",
    "both-tiers": "both tiers, LLVM O2 for the functions with loops (`lazuli compile`)",
    "both-tiers-profiled": "both tiers, LLVM O2 for the profile's hot functions (`lazuli compile --profile`)",
}
expected = open(f"{d}/expected.txt", "rb").read()
times = {k: [] for k in labels}
for _ in range(runs):
    for image in times:
        start = time.perf_counter()
        done = subprocess.run([lazuli, "run", "--allow-precompiled", f"{d}/{image}.lzc"], stdout=subprocess.PIPE)
        times[image].append((time.perf_counter() - start) * 1e3)
        if done.returncode != 0 or done.stdout != expected:
            sys.exit(f"{image}.lzc: exit {done.returncode} or output differs from the profiled run's")
med = {k: statistics.median(v) for k, v in times.items()}
print()
print(f"| SQLite image, run to exit ({runs} alternating runs) | compile | compile / wasmtime's ({wasmtime_s:.2f} s) | median run | run / all-O2 |")
print("|---|---:|---:|---:|---:|")
for k, label in labels.items():
    print(f"| {label} | {compile_s[k]:.2f} s | {compile_s[k] / wasmtime_s:.1f}x | {med[k]:.1f} ms | {med[k] / med['all-o2']:.2f}x |")
PY
