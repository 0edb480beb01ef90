"""Wasmtime (PyPI package) as a WASI command runner: python3 wasmtime_run.py APP.wasm [ARGS...].
Compiles, instantiates and runs `_start` with inherited stdio; exits with the program's status."""
import sys
import wasmtime

path, args = sys.argv[1], sys.argv[2:]
engine = wasmtime.Engine()
module = wasmtime.Module.from_file(engine, path)
linker = wasmtime.Linker(engine)
linker.define_wasi()
store = wasmtime.Store(engine)
wasi = wasmtime.WasiConfig()
wasi.argv = [path] + args
wasi.inherit_stdin()
wasi.inherit_stdout()
wasi.inherit_stderr()
store.set_wasi(wasi)
instance = linker.instantiate(store, module)
try:
    instance.exports(store)["_start"](store)
except wasmtime.ExitTrap as e:
    sys.exit(e.code)
