"""Wasmtime runner for a kernel: python3 wasmtime_run.py FILE.wasm KERNEL N -> "result ms" (median of 5 after a warm-up)."""
import sys, time
import wasmtime

path, kernel, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = wasmtime.Engine()
store = wasmtime.Store(engine)
module = wasmtime.Module.from_file(engine, path)
instance = wasmtime.Instance(store, module, [])
f = instance.exports(store)[kernel]
r = f(store, n)
times = []
for _ in range(5):
    t = time.perf_counter()
    r = f(store, n)
    times.append((time.perf_counter() - t) * 1e3)
times.sort()
print(f"{r} {times[2]:.3f}")
