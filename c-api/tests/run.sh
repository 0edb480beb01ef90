#!/usr/bin/env bash
# The C API's tests: each C program in c-api/tests/programs/ is compiled against include/ (with
# -Wall -Werror), linked with the shared library (hello also with the static one), run on its
# module, and its output compared with NAME.expected.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --release -p lazuli-c-api
cargo build -q --release -p lazuli-c-api --example wat2wasm
out=target/c-api; mkdir -p "$out"
lib=target/release
programs=c-api/tests/programs
for src in "$programs"/*.c; do
  name=$(basename "$src" .c)
  ./target/release/examples/wat2wasm "$programs/$name.wat" "$out/$name.wasm"
  cc -std=c11 -Wall -Wextra -Werror -I c-api/include "$src" -L "$lib" -llazuli_c \
    -Wl,-rpath,"$PWD/$lib" -o "$out/$name"
  args=("$out/$name.wasm")
  if [[ $name == wasi ]]; then
    mkdir -p "$out/wasi-dir"
    echo "hello through the C API" > "$out/wasi-dir/greeting.txt"
    args+=("$out/wasi-dir")
  fi
  "$out/$name" "${args[@]}" > "$out/$name.out"
  diff -u "$programs/$name.expected" "$out/$name.out"
  echo "c-api $name: ok"
done

# The static library: its native dependencies as rustc reports them.
native=$(cargo rustc -q --release -p lazuli-c-api --lib --crate-type staticlib -- --print native-static-libs 2>&1 \
  | sed -n 's/.*native-static-libs: //p' | tail -n 1)
cc -std=c11 -Wall -Werror -I c-api/include "$programs/hello.c" "$lib/liblazuli_c.a" $native -o "$out/hello-static"
"$out/hello-static" "$out/hello.wasm" > "$out/hello-static.out"
diff -u "$programs/hello.expected" "$out/hello-static.out"
echo "c-api hello, statically linked: ok"
