#!/usr/bin/env bash
# The main job: build the `lazuli` command and run it on the shipped example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -q -p lazuli-cli
./target/release/lazuli inspect examples/hello.wat
echo "fac(20) = $(./target/release/lazuli run examples/hello.wat --invoke fac 20)"
echo "fac_iter(15) = $(./target/release/lazuli run examples/hello.wat --invoke fac_iter 15)"
# A WASI program built with clang-22 and wasi-libc: arguments, a preopened directory, exit(3).
mkdir -p target/demo
clang-22 --target=wasm32-wasi -Wno-deprecated --sysroot=/usr -O2 examples/hello-wasi.c -o target/demo/hello-wasi.wasm
status=0
./target/release/lazuli run --dir examples::/examples target/demo/hello-wasi.wasm world Lazuli || status=$?
echo "hello-wasi exited with status $status"
[[ $status -eq 3 ]]
