#!/usr/bin/env bash
# Regenerates the README's spec-suite status tables by running `lazuli wast` over the pinned suite,
# on LLVM alone and on the single-pass baseline backend alone.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p lazuli-cli
# Every folder of the pinned suite this runner knows (`lazuli_wast::suite::FOLDERS`), failures
# included: folders of features Lazuli does not implement fail, and the table says how much.
suites=(wasm-v1 wasm-v2 wasm-v3 wasm-latest proposals/simd proposals/multi-value proposals/bulk-memory
  proposals/reference-types proposals/sign-extension-ops proposals/nontrapping-float-to-int-conversions
  proposals/mutable-global proposals/multi-memory proposals/extended-const proposals/relaxed-simd
  proposals/tail-call proposals/function-references proposals/exceptions proposals/memory64 proposals/gc
  proposals/threads proposals/annotations proposals/custom-page-sizes proposals/custom-descriptors
  proposals/wide-arithmetic)
args=()
for s in "${suites[@]}"; do args+=(--suite "$s"); done
{
  echo "Produced by \`lazuli wast --table --backend B\` on $(date -u +%Y-%m-%d) ($(git rev-parse --short HEAD 2>/dev/null || echo uncommitted)):"
  for backend in llvm baseline; do
    echo
    echo "\`--backend $backend\`:"
    echo
    { ./target/release/lazuli wast "${args[@]}" --backend "$backend" --table || true; } \
      | sed -n '/^| suite/,/^$/p' | sed '/^$/d'
  done
} > target/status-table.md
python3 - <<'PY'
import re
readme = open("README.md").read()
table = open("target/status-table.md").read().rstrip() + "\n"
new = re.sub(r"(<!-- status:begin -->\n).*?(<!-- status:end -->)", lambda m: m.group(1) + table + m.group(2), readme, flags=re.S)
open("README.md", "w").write(new)
PY
