#!/usr/bin/env bash
# Installs what building and testing Lazuli needs on Debian 12, when it is missing.
# Idempotent: on a machine that has everything it only checks and returns.
set -euo pipefail

packages=(
  # LLVM 22 for llvm-sys 221 / inkwell 0.11 (llvm22-1-prefer-dynamic links libLLVM.so.22.1),
  # from Debian 12's security suite.
  llvm-22-dev libpolly-22-dev libzstd-dev zlib1g-dev
  # C to wasm32 for test programs and benchmarks.
  clang-22 lld-22 wasi-libc libclang-rt-22-dev-wasm32
  # C++ for the exceptions test: libc++ for wasm32, and libstdc++ for its native build.
  libc++-22-dev-wasm32 libc++abi-22-dev-wasm32 libstdc++-12-dev
  # node:wasi, the reference the WASI program tests compare with.
  nodejs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -x /usr/lib/llvm-22/bin/llvm-config ]]; then
  echo "setup: /usr/lib/llvm-22/bin/llvm-config is missing after install" >&2
  exit 1
fi
