#!/usr/bin/env bash
# WASI run-to-exit benchmark: a large real program (SQLite's amalgamation, from the
# libsqlite3-sys crate, with a fixed in-memory workload in bench/wasi/sqlite_bench.c) built with
# clang-22 for wasm32-wasi, timed from process start to exit in Lazuli (lazy, lazy without
# speculation, eager compile + run, loading a precompiled .lzc, and with --cache: the first run
# and later ones), Wasmtime (PyPI package, compiling and precompiled)
# and node (`node:wasi`), with each one's peak resident memory. Every run's output must equal
# the reference output (node's). Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -c "import wasmtime" 2>/dev/null || python3 -m pip install -q wasmtime
cargo build --release -q -p lazuli-cli

out=target/bench/wasi
bash bench/wasi/build-sqlite.sh
app="$out/sqlite_bench.wasm"
lazuli=./target/release/lazuli
node --no-warnings cli/tests/wasi/node-run.mjs "$app" > "$out/expected.txt"
rm -f "$out/sqlite_bench.lzc"
compile_start=$(date +%s.%N)
$lazuli compile "$app" -o "$out/sqlite_bench.lzc" 2> /dev/null
compile_s=$(python3 -c "print(f'{$(date +%s.%N) - $compile_start:.1f}')")

measure() { python3 bench/wasi/measure.py "$1" "$out/expected.txt" -- "${@:2}"; }
funcs=$($lazuli inspect "$app" | sed -n 's/.*imported, \([0-9]*\) defined.*/\1/p')
size=$(($(stat -c %s "$app") / 1024))
echo "| $size KiB, SQLite + workload: run to exit | time | peak memory | time / wasmtime |"
echo "|---|---:|---:|---:|"
wt=$(measure 3 python3 bench/wasi/wasmtime_run.py "$app")
row() {
  local label=$1 result=$2
  set -- $result
  echo "| $label | $1 ms | $2 MiB | $(python3 -c "print(f'{$1 / ${wt%% *}:.2f}x')") |"
}
row "lazuli run (tiered: single-pass baseline first, LLVM O2 for hot code)" "$(measure 3 $lazuli run "$app")"
row "lazuli run --backend baseline (single-pass only)" "$(measure 3 $lazuli run --backend baseline "$app")"
row "lazuli run --backend llvm (LLVM alone, lazy, speculation on)" "$(measure 3 $lazuli run --backend llvm "$app")"
row "lazuli run --backend llvm --workers 0 (LLVM alone, lazy only)" "$(measure 3 $lazuli run --backend llvm --workers 0 "$app")"
row "lazuli run --eager (both tiers: O2 for the functions with loops, then run)" "$(measure 1 $lazuli run --eager "$app")"
row "lazuli run app.lzc (precompiled with both tiers; compiling took ${compile_s} s)" "$(measure 3 $lazuli run --allow-precompiled "$out/sqlite_bench.lzc")"
row "wasmtime (PyPI)" "$wt"
python3 bench/wasi/wasmtime_run.py --precompile "$app" "$out/sqlite_bench.cwasm"
row "wasmtime, precompiled (.cwasm)" "$(measure 3 python3 bench/wasi/wasmtime_run.py "$out/sqlite_bench.cwasm")"
# The tiered cache: the first run saves what tier-up optimized; each later run starts with it
# and adds what its profile found hot.
cache="$out/cache"; rm -rf "$cache"
export XDG_CONFIG_HOME="$out/cache-config"
row "lazuli run --cache, first run (empty cache)" "$(measure 1 $lazuli run --cache "$cache" "$app")"
for _ in 1 2 3; do $lazuli run --cache "$cache" "$app" > /dev/null; done
row "lazuli run --cache, fifth run onward" "$(measure 3 $lazuli run --cache "$cache" "$app")"
row "node (node:wasi)" "$(measure 3 node --no-warnings cli/tests/wasi/node-run.mjs "$app")"
echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(uname -m); median of 3 runs (eager: 1); the wasm has $funcs functions."
