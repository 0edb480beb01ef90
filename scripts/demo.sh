#!/usr/bin/env bash
# The main job: build the `lazuli` command and run it on the shipped example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -q -p lazuli
./target/release/lazuli inspect examples/hello.wat
echo "fac(20) = $(./target/release/lazuli run examples/hello.wat --invoke fac 20)"
echo "fac_iter(15) = $(./target/release/lazuli run examples/hello.wat --invoke fac_iter 15)"
