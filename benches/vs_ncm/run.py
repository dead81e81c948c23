"""Runs fleetscript and the Python `ncm` equivalents alternately against one simulator and prints
medians, the ratio, peak memory (max RSS of the process) and the floor (the largest listing's
pages x latency). Called by benches/vs_ncm.sh."""
import math, os, re, resource, statistics, subprocess, sys, tempfile, time

fleetscript, python, routers, latency_ms, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
here = os.path.dirname(os.path.abspath(__file__))

requests = {}

def timed(cmd, cwd):
    """Wall seconds and peak RSS (MiB) of one command (wait4 gives the child's own max RSS).
    The API requests a fleetscript run made, from its script's summary line ("N API requests"),
    are kept in `requests` by job command."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        said, err = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err}")
    m = re.search(r"(\d+) API requests", said)
    if m:
        requests[" ".join(cmd)] = int(m.group(1))
    return wall, usage.ru_maxrss / 1024

jobs = {
    "backup": ([fleetscript, "run", "nightly_backup", "--arg", "dir=out", "--allow-write", "."], [python, os.path.join(here, "backup.py"), "out"]),
    "inventory": ([fleetscript, "run", "inventory", "--arg", "out=inventory.csv"], [python, os.path.join(here, "inventory.py"), "inventory.csv"]),
}
# Where the outputs go: FLEET_OUT (a tmpfs, say) or the system's temporary directory. On the
# ext4 of our CI machines, creating a file right after many were deleted costs ~350 us of CPU
# instead of ~20 us, so a disk run measures the filesystem as much as either client.
out_parent = os.environ.get("FLEET_OUT") or None
floor = math.ceil(routers / 500) * latency_ms / 1000
where = out_parent or tempfile.gettempdir()
fs = subprocess.run(["stat", "-f", "-c", "%T", where], capture_output=True, text=True).stdout.strip()
# One untimed run of each client first (FLEET_WARMUP=0 to skip): the simulator builds records
# on demand and caches the pages it serves, so the first reader of a listing would pay for the
# simulator's work and the clients would not be measured on equal terms.
warmup = int(os.environ.get("FLEET_WARMUP", "1"))
print(f"{routers} routers, {latency_ms} ms latency, {warmup} warm-up + {runs} alternating runs; floor {floor:.2f} s (ceil(N/500) pages x latency); outputs in {where} ({fs})")
for job, (fs_cmd, py_cmd) in jobs.items():
    for _ in range(warmup):
        for cmd in (fs_cmd, py_cmd):
            with tempfile.TemporaryDirectory(dir=out_parent) as d:
                timed(cmd, d)
    res = {"fleetscript": [], "python ncm": []}
    for _ in range(runs):
        for name, cmd in (("fleetscript", fs_cmd), ("python ncm", py_cmd)):
            with tempfile.TemporaryDirectory(dir=out_parent) as d:
                res[name].append(timed(cmd, d))
    fs = statistics.median(w for w, _ in res["fleetscript"])
    py = statistics.median(w for w, _ in res["python ncm"])
    print(f"{job:<10} fleetscript {fs:6.2f} s (peak {max(m for _, m in res['fleetscript']):6.1f} MiB)   "
          f"python ncm {py:6.2f} s (peak {max(m for _, m in res['python ncm']):6.1f} MiB)   "
          f"speed-up {py / fs:5.2f}x   fleetscript / floor {fs / floor:5.2f}x   "
          f"fleetscript API requests {requests.get(' '.join(fs_cmd), '?')}")
