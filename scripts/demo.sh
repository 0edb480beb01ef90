#!/usr/bin/env bash
# The main job: build the `lazuli` command and run it on the shipped example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -q -p lazuli
./target/release/lazuli inspect examples/hello.wat
