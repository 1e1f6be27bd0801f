#!/usr/bin/env python3
"""The wablock benchmark orchestrator (docs/benchmarks.md explains the method).

Starts the sandbox binary per scenario (fresh state, ``--open``, ``--latency-ms``), runs each
driver as a separate process, one scenario per process, and measures it from outside: wall time
from spawn to exit, and the child's own CPU time (user + sys) and peak RSS from ``wait4``, taken
by the tiny C helper bench/measure.c (not by this interpreter: see that file for why).
The sandbox is another process, so its CPU is never counted. Every run's answer is checked (all
users blocked, all users listed), so a fast wrong driver cannot win.

Standard library only: ``make bench-smoke`` runs it with the system Python.

    python3 bench/run.py --out build/bench/results.json [--smoke] [--drivers rust,python,...]

Environment: BENCH_RUNS (default 5, runs per cell), BENCH_SLOW_RUNS (default 3) and
BENCH_SLOW_PEER_RUNS (default 1, for pywa and httpx): runs of the latency-bound cells whose
floor is over 10 s a run (listing pages of 100 at 50 ms), to keep the whole under 15 minutes; BENCH_USERS (64000),
BENCH_BLOCK1_ITERS (1000), BENCH_LATENCIES ("0,50"), BENCH_PAGES ("100,1000"),
BENCH_NO_DIAGNOSTICS (drop the diagnostic rows of the sandbox cells).
"""

import argparse
import atexit
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from statistics import median

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRIVERS_DIR = os.path.join(ROOT, "bench", "drivers")
PHONE = "106540352242922"
TOKEN = "sandbox-token"
PARALLELISM = 4  # wablock's default (docs/behaviour.md §3.5); the bound of target 1 uses it
# The drivers of the block-echo cells (target 1 against wablock-bench-echo).
ECHO_DRIVERS = ("rust", "rust-p16")
BATCH = 1000


def user(i: int) -> str:
    """The benchmark's user ``i``, the same string in every driver."""
    return f"+1555{i:07d}"


# --------------------------------------------------------------------------------------------
# Drivers. Each is a command prefix that takes `MODE URL PHONE TOKEN N`, plus the modes it runs.
# A driver that is not built is skipped with a note, so new ones plug in without rework.


class Driver:
    def __init__(self, name, label, argv, env=None, modes=("idle", "block", "list", "block1"),
                 probe=None, peer=False, mode_arg=None, diagnostic=False, command=None,
                 parse=None):
        self.name, self.label, self.argv = name, label, argv
        # command(mode, url, n) -> (argv, env): a program that does not speak the drivers'
        # command line (the CLI); parse(stdout) -> the drivers' result dict.
        self.command = command
        self.parse = parse
        self.mode_arg = mode_arg or {}  # scenario mode -> the mode word the driver is given
        self.diagnostic = diagnostic  # not a client of its own: an experiment on one
        self.peer = peer  # not wablock: fewer runs in the slow cells (BENCH_SLOW_PEER_RUNS)
        self.env = env or {}
        self.modes = modes
        self.probe = probe  # a command that must exit 0 for the driver to be available

    def available(self):
        if not os.path.exists(self.argv[0]):
            return False, f"{self.argv[0]} does not exist"
        if self.probe:
            r = subprocess.run(self.probe, capture_output=True, text=True)
            if r.returncode != 0:
                return False, (r.stderr.strip().splitlines() or ["probe failed"])[-1]
        return True, ""


def make_drivers(args):
    py_wablock = args.python_wablock
    py_peers = args.python_peers
    d = os.path.join
    return [
        Driver("rust", "Rust core", [args.rust_driver]),
        # Diagnostics for the analysis in docs/benchmarks.md (targets 1 and 4).
        Driver("rust-p16", "Rust core, parallelism 16 (diagnostic)", [args.rust_driver],
               env={"WABLOCK_BENCH_PARALLELISM": "16"}, modes=("block",), diagnostic=True),
        Driver("rust-thread", "Rust core, a thread per call (diagnostic)", [args.rust_driver],
               modes=("block1",), mode_arg={"block1": "block1-thread"}, diagnostic=True),
        Driver("python", "Python package", [py_wablock, d(DRIVERS_DIR, "py_wablock.py")],
               probe=[py_wablock, "-c", "import wablock; wablock.Client"]),
        Driver("c", "C library", [args.c_driver]),
        Driver("pywa", "pywa (sequential)", [py_peers, d(DRIVERS_DIR, "py_pywa.py")],
               probe=[py_peers, "-c", "import pywa, httpx"], peer=True),
        Driver("pywa-t4", "pywa (4 threads)", [py_peers, d(DRIVERS_DIR, "py_pywa.py")],
               env={"PYWA_THREADS": str(PARALLELISM)}, modes=("block",),
               probe=[py_peers, "-c", "import pywa, httpx"], peer=True),
        Driver("httpx", "httpx loop", [py_peers, d(DRIVERS_DIR, "py_httpx.py")],
               probe=[py_peers, "-c", "import httpx"], peer=True),
        # The command-line tool: `wablock --json block --from-file FILE`, credentials in the
        # environment, its whole stdout checked user by user (issue 16: its peak RSS).
        Driver("cli", "CLI (wablock --json block)", [args.cli], modes=("idle", "block"),
               command=cli_command, parse=parse_cli),
    ]


_CLI_FILES = {}


def cli_users_file(n):
    """A file of the benchmark's first n users, one per line (written once per run)."""
    if n not in _CLI_FILES:
        f = tempfile.NamedTemporaryFile("w", prefix="wablock-bench-users-", suffix=".txt",
                                        delete=False)
        with f:
            f.write("".join(user(i) + "\n" for i in range(n)))
        _CLI_FILES[n] = f.name
        atexit.register(os.remove, f.name)
    return _CLI_FILES[n]


def cli_command(argv0, mode, url, n):
    # Every variable the CLI reads is set, so none leaks in from the caller's shell.
    env = {"WABLOCK_PROVIDER": "meta", "WABLOCK_BASE_URL": url, "WABLOCK_PHONE_NUMBER_ID": PHONE,
           "WABLOCK_ACCESS_TOKEN": TOKEN, "WABLOCK_API_KEY": "", "WABLOCK_API_VERSION": ""}
    if mode == "idle":  # start, parse the command line, print, exit
        return [argv0, "--version"], env
    return [argv0, "--json", "block", "--from-file", cli_users_file(n)], env


def parse_cli(stdout, mode, n):
    """The CLI's stdout as the drivers' result: every input accounted for, in input order."""
    if mode == "idle":
        return {"mode": "idle", "count": 0}
    outcome = json.loads(stdout)["outcome"]
    inputs = [s["input"] for s in outcome["succeeded"]]
    if inputs != [user(i) for i in range(n)]:
        raise RuntimeError("cli: the succeeded users are not the inputs, in order")
    return {"mode": "block", "count": len(inputs), "failed": len(outcome["failed"]),
            "requests": outcome["requests"]}


# --------------------------------------------------------------------------------------------
# The sandbox.


class Sandbox:
    """The server of a scenario: the sandbox, or the echo server (`wablock-bench-echo`, the
    same command line and the same reset endpoint, plus ``GET /_echo/stats``)."""

    def __init__(self, binary, latency_ms, cpus=None):
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--open", "--latency-ms", str(latency_ms),
             "--exit-on-stdin-eof"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            preexec_fn=pinned_to(cpus))
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.close()
            raise RuntimeError(f"the sandbox did not print its URL (got {self.url!r})")

    def post(self, path, body=None):
        data = json.dumps(body or {}).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"null")

    def reset(self):
        self.post("/_sandbox/reset")

    def echo_stats(self):
        """The echo server's own handling time since the last reset (not the sleep)."""
        with urllib.request.urlopen(self.url + "/_echo/stats", timeout=60) as r:
            return json.loads(r.read())

    def prefill(self, n):
        self.reset()
        got = self.post("/_sandbox/phone",
                        {"phone_number_id": PHONE, "blocked": [user(i) for i in range(n)]})
        if got.get("blocked_count") != n:
            raise RuntimeError(f"prefill: the sandbox holds {got.get('blocked_count')}, not {n}")

    def cpu_s(self):
        """The sandbox's own CPU time so far (user + sys, 10 ms ticks), to show server cost."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def close(self):
        # --exit-on-stdin-eof: closing the pipe stops it; kill only if it lingers.
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------------------------
# One measured run.


def build_measure(path):
    """Compiles bench/measure.c (the outside measurement, see its header) when out of date."""
    src = os.path.join(ROOT, "bench", "measure.c")
    if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(src):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-Wall", "-o", path, src], check=True)
    return path


def pinned_to(cpus):
    """A `preexec_fn` that pins the child (and what it execs) to `cpus`, or None for no pin."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def block1_cpus():
    """The one CPU the 1-user cell runs its server and every driver on (see Method): the
    highest this process may use."""
    try:
        return {max(os.sched_getaffinity(0))}
    except (AttributeError, OSError, ValueError):
        return None


def measure(measure_bin, driver, mode, url, n, cpus=None):
    if driver.command:
        argv, extra = driver.command(driver.argv[0], mode, url, n)
    else:
        argv = driver.argv + [driver.mode_arg.get(mode, mode), url, PHONE, TOKEN, str(n)]
        extra = {}
    env = dict(os.environ, **driver.env, **extra)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(suffix=".json") as usage_file:
        proc = subprocess.run([measure_bin, usage_file.name] + argv, stdin=subprocess.DEVNULL,
                              stdout=out, stderr=err, env=env, preexec_fn=pinned_to(cpus))
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
        usage_file.seek(0)
        raw = usage_file.read()
        usage = json.loads(raw) if raw.strip() else {}
    if proc.returncode != 0:
        raise RuntimeError(f"{driver.name} {mode} {n}: exit {proc.returncode}: {stderr[-2000:]}")
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise RuntimeError(f"{driver.name} {mode} {n}: no result line; stderr: {stderr[-2000:]}")
    result = driver.parse(stdout, mode, n) if driver.parse else json.loads(lines[-1])
    return {
        "wall_s": usage["wall_s"],
        "cpu_s": usage["user_s"] + usage["sys_s"],
        "user_s": usage["user_s"],
        "sys_s": usage["sys_s"],
        "maxrss_kib": usage["maxrss_kib"],
        "work_s": result.get("work_s"),
        "per_call_median_s": result.get("per_call_median_s"),
        "per_call_mean_s": result.get("per_call_mean_s"),
        "requests": result.get("requests"),
        "count": result.get("count"),
        "failed": result.get("failed", 0),
    }


def check(run, expected, what):
    if run["count"] != expected or run["failed"]:
        raise RuntimeError(f"{what}: expected {expected} users, the driver reported "
                           f"{run['count']} (failed {run['failed']})")


# --------------------------------------------------------------------------------------------
# Scenarios.


def scenarios(cfg):
    """(name, mode, latency_ms, param, expected count, runs, peer runs) in the order they run."""
    out = []
    for lat in cfg["latencies"]:
        out.append(("block", "block", lat, cfg["users"], cfg["users"], cfg["runs"], cfg["runs"]))
        for page in cfg["pages"]:
            pages = -(-cfg["users"] // page)
            # Listing cannot overlap requests (each needs the previous cursor), so its floor is
            # pages × latency: page=100 at 50 ms is 32 s a run. Those cells get fewer runs.
            slow = pages * lat / 1000 > 10
            out.append(("list", "list", lat, page, cfg["users"],
                        cfg["slow_runs"] if slow else cfg["runs"],
                        cfg["slow_peer_runs"] if slow else cfg["runs"]))
    if cfg.get("echo"):
        # Target 1 against a server that is not the bottleneck (wablock-bench-echo).
        for lat in cfg["latencies"]:
            out.append(("block-echo", "block", lat, cfg["users"], cfg["users"], cfg["runs"],
                        cfg["runs"]))
    out.append(("block1", "block1", 0, cfg["block1_iters"], cfg["block1_iters"], cfg["runs"],
                cfg["runs"]))
    out.append(("idle", "idle", 0, 0, 0, cfg["runs"], cfg["runs"]))
    return out


def machine():
    info = {"nproc": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    info["mem_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    for key, cmd in (("rustc", ["rustc", "--version"]), ("cc", ["cc", "--version"])):
        try:
            info[key] = subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            pass
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes, 1 run, latency 0, wablock drivers only (seconds)")
    ap.add_argument("--drivers", default="", help="comma-separated subset of driver names")
    ap.add_argument("--require", default="",
                    help="comma-separated drivers that must be available (else exit 1)")
    ap.add_argument("--sandbox", default=os.path.join(ROOT, "target", "release", "wablock-sandbox"))
    ap.add_argument("--echo", default=os.path.join(ROOT, "target", "release", "wablock-bench-echo"),
                    help="the echo server of the block-echo cells (skipped when absent)")
    ap.add_argument("--cli", default=os.path.join(ROOT, "target", "release", "wablock"),
                    help="the wablock command-line tool (the cli driver)")
    ap.add_argument("--rust-driver",
                    default=os.path.join(ROOT, "target", "release", "wablock-bench-driver"))
    ap.add_argument("--measure", default=os.path.join(ROOT, "build", "bench", "measure"))
    ap.add_argument("--c-driver", default=os.path.join(ROOT, "build", "bench", "c-driver"))
    ap.add_argument("--python-wablock", default=os.path.join(ROOT, "build", "bench-venv", "bin", "python"),
                    help="the interpreter that has the wablock package")
    ap.add_argument("--python-peers", default=os.path.join(ROOT, "build", "bench-venv", "bin", "python"),
                    help="the interpreter that has pywa and httpx")
    args = ap.parse_args()

    env = os.environ.get
    if args.smoke:
        cfg = {"runs": 1, "slow_runs": 1, "slow_peer_runs": 1, "users": 2000, "block1_iters": 50, "latencies": [0],
               "pages": [100, 1000]}
    else:
        cfg = {"runs": int(env("BENCH_RUNS", "5")), "slow_runs": int(env("BENCH_SLOW_RUNS", "3")),
               "slow_peer_runs": int(env("BENCH_SLOW_PEER_RUNS", "1")),
               "users": int(env("BENCH_USERS", "64000")),
               "block1_iters": int(env("BENCH_BLOCK1_ITERS", "1000")),
               "latencies": [int(x) for x in env("BENCH_LATENCIES", "0,50").split(",")],
               "pages": [int(x) for x in env("BENCH_PAGES", "100,1000").split(",")]}
    cfg["parallelism"] = PARALLELISM
    cfg["batch"] = BATCH

    drivers = make_drivers(args)
    wanted = [x for x in args.drivers.split(",") if x]
    if args.smoke and not wanted:
        wanted = ["rust", "python", "c", "cli"]  # never the PyPI peers: make test stays offline-safe
    # BENCH_NO_DIAGNOSTICS drops the diagnostic rows from the sandbox cells; the echo cells
    # keep parallelism 16, which is how they show that the server is not the bottleneck.
    no_diagnostics = bool(os.environ.get("BENCH_NO_DIAGNOSTICS"))
    if wanted:
        drivers = [dr for dr in drivers if dr.name in wanted]
    active, skipped = [], {}
    for dr in drivers:
        ok, why = dr.available()
        if ok:
            active.append(dr)
        else:
            skipped[dr.name] = why
            print(f"bench: skipping driver {dr.name}: {why}", file=sys.stderr)
    if not active:
        sys.exit("bench: no driver is available")
    missing = [x for x in args.require.split(",") if x and x in skipped]
    if missing:
        sys.exit(f"bench: required drivers are not available: {', '.join(missing)}")
    if not os.path.exists(args.sandbox):
        sys.exit(f"bench: no sandbox binary at {args.sandbox}")
    cfg["echo"] = os.path.exists(args.echo)
    if not cfg["echo"]:
        skipped["echo server"] = f"{args.echo} does not exist"
        print(f"bench: no echo server at {args.echo}; the block-echo cells are skipped",
              file=sys.stderr)

    measure_bin = build_measure(args.measure)
    try:
        load_start = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load_start = []
    results = []
    started = time.time()
    for name, mode, lat, param, expected, runs, peer_runs in scenarios(cfg):
        echo = name == "block-echo"
        cell_drivers = [dr for dr in active if mode in dr.modes
                        and (dr.name in ECHO_DRIVERS if echo
                             else not (no_diagnostics and dr.diagnostic))]
        if not cell_drivers:
            continue
        # The 1-user cell times round trips of ~35 µs, in which waking a server thread on the
        # other CPU (an inter-processor interrupt on this VM) costs ~20 µs more than on the
        # same one; unpinned, the scheduler picks either per run, so one CPU for the server
        # and every driver keeps the drivers comparable (bench/analysis.md, Method).
        cpus = block1_cpus() if mode == "block1" else None
        sb = Sandbox(args.echo if echo else args.sandbox, lat, cpus)
        try:
            if mode == "list":
                sb.prefill(cfg["users"])
            cells = {dr.name: [] for dr in cell_drivers}
            # Drivers take turns within each run index, so a burst of background load
            # spreads over all of them instead of landing on one.
            for i in range(max(runs, peer_runs)):
                for dr in cell_drivers:
                    if i >= (peer_runs if dr.peer else runs):
                        continue
                    if mode in ("block", "block1"):
                        sb.reset()  # blocking must be real every time
                    server_before = sb.cpu_s()
                    run = measure(measure_bin, dr, mode, sb.url, param, cpus)
                    server_after = sb.cpu_s()
                    run["server_cpu_s"] = (None if server_before is None or server_after is None
                                           else server_after - server_before)
                    if echo:
                        stats = sb.echo_stats()
                        run["server_requests"] = stats["requests"]
                        run["server_handle_s"] = stats["handle_s_total"]
                        run["server_handle_max_s"] = stats["handle_s_max"]
                    what = f"{dr.name} {name} latency={lat} n={param}"
                    check(run, expected, what)
                    cells[dr.name].append(run)
                    extra = (f" per-call {run['per_call_median_s'] * 1e6:.0f} us"
                             if run["per_call_median_s"] is not None else "")
                    print(f"bench: [{time.time() - started:6.1f}s] {what} run {i + 1}/{peer_runs if dr.peer else runs}: "
                          f"wall {run['wall_s']:.3f}s cpu {run['cpu_s']:.3f}s "
                          f"rss {run['maxrss_kib'] / 1024:.1f} MiB{extra}", flush=True)
        finally:
            sb.close()
        for dr in cell_drivers:
            rs = cells[dr.name]
            med = {k: median([r[k] for r in rs]) for k in rs[0]
                   if all(isinstance(r[k], (int, float)) for r in rs)}
            results.append({"scenario": name, "latency_ms": lat, "param": param,
                            "driver": dr.name, "label": dr.label, "runs": rs,
                            "n_runs": len(rs), "median": med})

    info = machine()
    info["loadavg_start"] = load_start
    try:
        info["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    except OSError:
        pass
    doc = {"smoke": args.smoke, "config": cfg, "machine": info,
           "drivers": {dr.name: dr.label for dr in active}, "skipped": skipped,
           "duration_s": round(time.time() - started, 1),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "results": results}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
    print(f"bench: {len(results)} cells in {doc['duration_s']} s -> {args.out}")


if __name__ == "__main__":
    main()
