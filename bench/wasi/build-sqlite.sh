#!/usr/bin/env bash
# Builds the SQLite benchmark program (SQLite's amalgamation from the libsqlite3-sys crate,
# fetched with `cargo vendor`, and bench/wasi/sqlite_bench.c) for wasm32-wasi with clang-22,
# into target/bench/wasi/sqlite_bench.wasm, unless it is there and newer than its source.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=target/bench/wasi; mkdir -p "$out"
if [[ ! -f "$out/fetch/vendor/libsqlite3-sys-0.30.1/sqlite3/sqlite3.c" ]]; then
  mkdir -p "$out/fetch/src"
  printf '[package]\nname = "fetch-sqlite"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nlibsqlite3-sys = { version = "=0.30.1", default-features = false }\n[workspace]\n' > "$out/fetch/Cargo.toml"
  : > "$out/fetch/src/lib.rs"
  (cd "$out/fetch" && cargo vendor -q --versioned-dirs vendor > /dev/null)
fi
sqlite="$out/fetch/vendor/libsqlite3-sys-0.30.1/sqlite3"
app="$out/sqlite_bench.wasm"
if [[ ! -f "$app" || bench/wasi/sqlite_bench.c -nt "$app" ]]; then
  clang-22 --target=wasm32-wasi -Wno-deprecated --sysroot=/usr -O2 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION \
    -I"$sqlite" bench/wasi/sqlite_bench.c "$sqlite/sqlite3.c" -o "$app"
fi
