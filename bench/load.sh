#!/usr/bin/env bash
# Loading precompiled modules, Lazuli against Wasmtime side by side: for each module, both
# compile it (Lazuli eager at the optimizing level on every core; Wasmtime's Cranelift),
# serialize it to a file and load it back from the file (Lazuli `Module::deserialize_file`,
# which maps it; Wasmtime `Module.deserialize_file`), median of 101 loads (each timed up to
# the loaded module; its drop is not timed, on either side). Also Lazuli's load
# from bytes in memory and the resident memory one mapped load adds. Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -c "import wasmtime" 2>/dev/null || python3 -m pip install -q wasmtime
cargo build --release -q -p lazuli-bench

out=target/bench/load; mkdir -p "$out"
runs=101
clang-22 --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry -o "$out/kernels.wasm" bench/kernels/kernels.c
./target/release/load --generate 2000 "$out/functions-2000.wasm"
./target/release/load --generate 25000 "$out/functions-25000.wasm"
modules=("$out/kernels.wasm" "$out/functions-2000.wasm" "$out/functions-25000.wasm")
# SQLite, when bench/wasi.sh has built it.
sqlite=target/bench/wasi/sqlite_bench.wasm
[[ -f $sqlite ]] && modules+=("$sqlite")

echo "| module | wasm | Lazuli compile | Wasmtime compile | Lazuli blob | Wasmtime blob | Lazuli map (deserialize_file) | Wasmtime deserialize_file | map / Wasmtime | Lazuli from bytes | compile / map | resident after map |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for wasm in "${modules[@]}"; do
  name=$(basename "$wasm" .wasm)
  read -r l_compile l_size l_map l_bytes l_rss < <(./target/release/load "$wasm" "$out/$name.lzc" "$runs")
  read -r w_compile w_size w_map < <(python3 bench/load/wasmtime_load.py "$wasm" "$out/$name.cwasm" "$runs")
  python3 - "$name" "$(stat -c %s "$wasm")" "$l_compile" "$w_compile" "$l_size" "$w_size" "$l_map" "$w_map" "$l_bytes" "$l_rss" <<'PY'
import sys
name, wasm, lc, wc, ls, ws, lm, wm, lb, rss = sys.argv[1:]
kb = lambda b: f"{int(b) / 1024:,.0f} KiB"
print(f"| {name} | {kb(wasm)} | {float(lc):,.0f} ms | {float(wc):,.0f} ms | {kb(ls)} | {kb(ws)} | "
      f"{float(lm):.3f} ms | {float(wm):.3f} ms | {float(lm) / float(wm):.1f}x | {float(lb):.3f} ms | "
      f"{float(lc) / float(lm):,.0f}x | {int(rss):,} KiB |")
PY
done
echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores; loads are the median of $runs."
