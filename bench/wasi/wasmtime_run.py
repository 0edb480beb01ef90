"""Wasmtime (PyPI package) as a WASI command runner: python3 wasmtime_run.py APP.wasm [ARGS...].
Compiles, instantiates and runs `_start` with inherited stdio; exits with the program's status.
APP.cwasm runs Wasmtime's precompiled form instead; `python3 wasmtime_run.py --precompile
APP.wasm APP.cwasm` makes it."""
import sys
import wasmtime

engine = wasmtime.Engine()
if sys.argv[1] == "--precompile":
    with open(sys.argv[2], "rb") as wasm, open(sys.argv[3], "wb") as cwasm:
        cwasm.write(wasmtime.Module(engine, wasm.read()).serialize())
    sys.exit(0)
path, args = sys.argv[1], sys.argv[2:]
# A `.cwasm` is Wasmtime's own precompiled form (`precompile` below made it).
if path.endswith(".cwasm"):
    module = wasmtime.Module.deserialize_file(engine, path)
else:
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
