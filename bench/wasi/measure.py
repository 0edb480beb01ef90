"""Run a command several times; print the median wall time (ms) and the largest peak resident
memory (MiB) of its process tree: python3 measure.py RUNS EXPECTED_STDOUT_FILE -- CMD...
Fails if any run exits non-zero or prints something other than the expected output."""
import os
import resource
import statistics
import subprocess
import sys
import time

runs, expected_file, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[4:]
expected = open(expected_file, "rb").read()
times, peak = [], 0
for _ in range(runs):
    # Each run in its own child so that ru_maxrss of the children is this run's alone.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        same = done.stdout == expected
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        os.write(w, f"{done.returncode} {int(same)} {elapsed} {rss}".encode())
        os._exit(0)
    os.close(w)
    status, same, elapsed, rss = os.read(r, 200).decode().split()
    os.close(r)
    os.waitpid(pid, 0)
    if status != "0" or same != "1":
        sys.exit(f"{cmd[0]}: exit status {status}, output {'as expected' if same == '1' else 'differs'}")
    times.append(float(elapsed) * 1e3)
    peak = max(peak, int(rss))
print(f"{statistics.median(times):.0f} {peak / 1024:.0f}")
