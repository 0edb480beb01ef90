"""Wasmtime (PyPI, default configuration) on the rows of `--bin memory`: python3 wasmtime_memory.py
-> markdown rows "| name | value |". Times include the Python binding's own overhead."""
import time
import wasmtime

def resident_mib():
    fields = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
    return int(fields["VmRSS"].split()[0]) / 1024

engine = wasmtime.Engine()
data = "\\01" * 65536
one_gib = wasmtime.Module(engine, f'''(module (memory (export "m") 16384)
  (data (i32.const 1048576) "{data}")
  (func (export "touch") (param i32) (i32.store (local.get 0) (i32.const 7))))''')

times = []
for _ in range(21):
    t = time.perf_counter()
    store = wasmtime.Store(engine)
    wasmtime.Instance(store, one_gib, [])
    del store
    times.append((time.perf_counter() - t) * 1e3)
times.sort()
print(f"| instantiate 1 GiB + 64 KiB of data, store dropped (median of 21) | {times[10]:.3f} ms |")

full = wasmtime.Module(engine, "(module (memory 65536))")
store = wasmtime.Store(engine)
before = resident_mib()
t = time.perf_counter()
wasmtime.Instance(store, full, [])
took = (time.perf_counter() - t) * 1e3
print(f"| instantiate `(memory 65536)` (4 GiB): time, process resident before -> after | {took:.3f} ms, {before:.0f} -> {resident_mib():.0f} MiB |")
del store

grow = wasmtime.Module(engine, '(module (memory 1) (func (export "g") (result i32) (memory.grow (i32.const 65535))))')
store = wasmtime.Store(engine)
g = wasmtime.Instance(store, grow, []).exports(store)["g"]
t = time.perf_counter()
old = g(store)
took = (time.perf_counter() - t) * 1e3
print(f"| `memory.grow` from 1 page to 4 GiB in one step | {took:.3f} ms |" if old == 1 else f"| `memory.grow` from 1 page to 4 GiB in one step | fails ({old}) |")
del store

before = resident_mib()
t = time.perf_counter()
for n in range(10000):
    store = wasmtime.Store(engine)
    touch = wasmtime.Instance(store, one_gib, []).exports(store)["touch"]
    touch(store, (n % 16384) * 65536)
    del store
took = (time.perf_counter() - t) * 1e6 / 10000
print(f"| 10,000 instances of the 1 GiB module made, used and dropped: per instance, resident before -> after | {took:.1f} µs, {before:.0f} -> {resident_mib():.0f} MiB |")
