"""Wasmtime's side of bench/load.sh: compile a module (Cranelift, all cores), serialize it to a
file, and time `Module.deserialize_file` (median of N loads).

python3 wasmtime_load.py FILE.wasm OUT.cwasm N -> "compile_ms serialized_bytes load_ms"
"""
import statistics, sys, time
import wasmtime

path, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = wasmtime.Engine()
data = open(path, "rb").read()
t = time.perf_counter()
module = wasmtime.Module(engine, data)
compile_ms = (time.perf_counter() - t) * 1e3
blob = module.serialize()
open(out, "wb").write(blob)
times = []
for _ in range(runs):
    t = time.perf_counter()
    loaded = wasmtime.Module.deserialize_file(engine, out)
    times.append((time.perf_counter() - t) * 1e3)
    del loaded
print(f"{compile_ms:.3f} {len(blob)} {statistics.median(times):.4f}")
