"""Wasmtime: time from bytes in memory to the first result: python3 wasmtime_first.py FILE KERNEL N -> "result ms"."""
import sys, time
import wasmtime

path, kernel, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
engine = wasmtime.Engine()
t = time.perf_counter()
store = wasmtime.Store(engine)
module = wasmtime.Module(engine, data)
instance = wasmtime.Instance(store, module, [])
r = instance.exports(store)[kernel](store, n)
print(f"{r} {(time.perf_counter() - t) * 1e3:.3f}")
