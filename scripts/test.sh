#!/usr/bin/env bash
# Runs every test: the workspace's tests (spec suite included), the no_std proof, and the spec
# suite through the `lazuli wast` command, whose last line is the total.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== no_std: lazuli-core without default features =="
cargo build -q -p lazuli-core --no-default-features
(cd ci/no-std-check && cargo build -q)

echo "== cargo test =="
cargo test --workspace

echo "== examples (examples/*.rs, through the lazuli crate) =="
for example in host_function memory wasi serialize interrupt threads custom_backend; do
  cargo run -q --release -p lazuli --example "$example" >/dev/null
  echo "example $example: ok"
done

echo "== the C API (wasm.h, lazuli.h): C programs compiled against the headers and run =="
bash c-api/tests/run.sh

echo "== the main job (README) =="
bash scripts/demo.sh

suites=(--suite wasm-v1 --suite wasm-v2 --suite proposals/simd --suite proposals/multi-memory --suite proposals/extended-const --suite proposals/relaxed-simd --suite proposals/memory64 --suite proposals/tail-call --suite proposals/function-references)
echo "== spec suite, eager (optimized partitions on every core, linked into one image) =="
./target/release/lazuli wast "${suites[@]}" --eager | tail -n 1
echo "== spec suite, eager through serialize -> deserialize =="
./target/release/lazuli wast "${suites[@]}" --round-trip | tail -n 1

echo "== spec suite, images with both tiers (tiered, eager: LLVM O2 for functions with loops, single-pass code for the rest) =="
./target/release/lazuli wast --backend tiered "${suites[@]}" --eager | tail -n 1
echo "== spec suite, images with both tiers through serialize -> deserialize, each single-pass function tiering up after its first call =="
./target/release/lazuli wast --backend tiered --tier-up 1 "${suites[@]}" --round-trip | tail -n 1

echo "== spec suite, lazy with tier-up forced on every function (optimized code swapped in) =="
./target/release/lazuli wast "${suites[@]}" --tier-up 1 | tail -n 1

echo "== lazuli without LLVM: build, then the spec suite on the single-pass baseline backend alone =="
cargo build -q --release -p lazuli-cli --no-default-features --target-dir target/no-llvm
if ldd target/no-llvm/release/lazuli | grep -qi llvm; then echo "the no-LLVM build links LLVM"; exit 1; fi
target/no-llvm/release/lazuli wast "${suites[@]}" | tail -n 1
echo "== spec suite, tiered: baseline first, every function recompiled by LLVM after its first call =="
./target/release/lazuli wast --backend tiered --tier-up 1 "${suites[@]}" | tail -n 1
echo "== spec suite, tiered with tier-up forced, memories not reserved (every access checked) =="
./target/release/lazuli wast --backend tiered --tier-up 1 --memory-reservations off "${suites[@]}" | tail -n 1

echo "== spec suite through lazuli wast (LLVM backend, lazy, speculation on) =="
./target/release/lazuli wast "${suites[@]}" --table | tail -n 10
