#!/usr/bin/env python3
"""Writes docs/benchmarks.md (and the PNG chart) from bench/run.py's results JSON.

    python3 bench/report.py RESULTS_JSON OUT_MD [--png OUT_PNG] [--analysis bench/analysis.md]

The targets of the performance issues (16, and two of 10) are computed here from the medians, with pass/fail and,
when missed, by how much. bench/analysis.md (hand-written: why a target is missed, what would
fix it, what the numbers say) is included verbatim, so regenerating never loses it.
Without matplotlib (``make bench-smoke`` never installs it) the chart is skipped with a note.
"""

import argparse
import json
import math
import os
import sys

MIB = 1024.0
# Drivers without an idle run of their own share another's (same program, other settings).
# Experiments on the Rust core for the analysis: in the table, not in the chart.
DIAGNOSTIC = {"rust-p16", "rust-thread"}
IDLE_OF = {"pywa-t4": "pywa", "rust-p16": "rust", "rust-thread": "rust"}
SCENARIO_ORDER = ["block", "block-echo", "list", "block1", "idle"]
# Issue 16: the CLI's `--json block` of 64,000 users under 48 MB (10^6 bytes) of peak RSS.
CLI_RSS_LIMIT_KIB = 48e6 / 1024


def fmt_s(x):
    if x is None:
        return "–"
    if x < 0.01:
        return f"{x * 1000:.2f} ms"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    return f"{x:.2f} s"


def fmt_mib(kib):
    return "–" if kib is None else f"{kib / MIB:.1f}"


def scenario_title(r, cfg):
    lat = f"{r['latency_ms']} ms"
    if r["scenario"] == "block":
        return f"block {r['param']:,} users, {lat}"
    if r["scenario"] == "block-echo":
        return f"block {r['param']:,} users, {lat}, echo server"
    if r["scenario"] == "list":
        return f"list {cfg['users']:,}, page {r['param']:,}, {lat}"
    if r["scenario"] == "block1":
        return f"block 1 user ×{r['param']:,}, {lat}"
    return "idle (start, build client, exit)"


class Results:
    def __init__(self, doc):
        self.doc = doc
        self.cfg = doc["config"]
        self.by = {(r["scenario"], r["latency_ms"], r["param"], r["driver"]): r
                   for r in doc["results"]}

    def get(self, scenario, latency, param, driver):
        return self.by.get((scenario, latency, param, driver))

    def med(self, scenario, latency, param, driver, key):
        r = self.get(scenario, latency, param, driver)
        return None if r is None else r["median"].get(key)

    def idle(self, driver, key):
        return self.med("idle", 0, 0, IDLE_OF.get(driver, driver), key)


def verdict(ok):
    return "**pass**" if ok else "**MISSED**"


def targets(res):
    """Rows (target, measured, verdict): issue 16's six targets and its CLI target, then two of
    issue 10's."""
    cfg = res.cfg
    users, par, batch = cfg["users"], cfg["parallelism"], cfg["batch"]
    batches = math.ceil(users / batch)
    rows = []

    # 1. 64,000 blocks at 50 ms within 1.25x ceil(batches / parallelism) x latency, against
    # the echo server (a server that is not the bottleneck) when the run has it, and against
    # the sandbox (kept for comparison).
    lat = 50
    bound = math.ceil(batches / par) * lat / 1000
    echo_work = res.med("block-echo", lat, users, "rust", "work_s")
    work = res.med("block", lat, users, "rust", "work_s")
    wall = res.med("block", lat, users, "rust", "wall_s")
    title = (f"1. {users:,} blocks at {lat} ms, parallelism {par}: ≤ 1.25 × "
             f"ceil({batches}/{par}) × {lat} ms = {fmt_s(1.25 * bound)}")
    if work is None and echo_work is None:
        rows.append(("1. block at 50 ms ≤ 1.25 × lower bound", "not measured in this run", "–"))
    else:
        parts = []
        judged = echo_work if echo_work is not None else work
        if echo_work is not None:
            text = (f"against the echo server: Rust core {fmt_s(echo_work)} in-process "
                    f"({echo_work / bound:.2f}× the bound {fmt_s(bound)})")
            p16 = res.med("block-echo", lat, users, "rust-p16", "work_s")
            if p16 is not None:
                text += f", {fmt_s(p16)} at parallelism 16"
            r = res.get("block-echo", lat, users, "rust")
            if r is not None:
                m = r["median"]
                n_req = m.get("server_requests") or m.get("requests")
                if m.get("server_handle_s") is not None and n_req:
                    text += (f"; the echo server's own handling {m['server_handle_s'] / n_req * 1e6:.0f} µs "
                             f"per request (max {m.get('server_handle_max_s', 0) * 1e3:.1f} ms)")
                if m.get("server_cpu_s") is not None and n_req:
                    text += f", its CPU {m['server_cpu_s'] / n_req * 1e3:.2f} ms per request"
            parts.append(text)
        if work is not None:
            extra = []
            for d, name in (("python", "Python"), ("c", "C")):
                w = res.med("block", lat, users, d, "work_s")
                if w is not None:
                    extra.append(f"{name} {fmt_s(w)} ({w / bound:.2f}×)")
            parts.append(f"against the sandbox: Rust core {fmt_s(work)} in-process "
                         f"({work / bound:.2f}×); {fmt_s(wall)} for the whole process"
                         + ("; " + ", ".join(extra) if extra else ""))
        ratio = judged / bound
        rows.append((title, "; ".join(parts),
                     verdict(ratio <= 1.25)
                     + ("" if ratio <= 1.25 else f" by {(ratio / 1.25 - 1) * 100:.0f}%")
                     + (" (echo server)" if echo_work is not None else " (sandbox)")))

    # CPU of a run over the same driver's idle run (start, build a client, exit).
    def cpu_over_idle(scenario, latency, param, driver):
        cpu = res.med(scenario, latency, param, driver, "cpu_s")
        base = res.idle(driver, "cpu_s")
        if cpu is None or base is None:
            return None
        return max(cpu - base, 0.0)

    # 2. and 3. The Python package's client CPU against pywa's, in the same run.
    def python_vs_pywa(number, scenario, param, what, limit):
        parts, ok_all, any_measured = [], True, False
        for latency in cfg["latencies"]:
            ours = cpu_over_idle(scenario, latency, param, "python")
            theirs = cpu_over_idle(scenario, latency, param, "pywa")
            if ours is None or theirs is None:
                continue
            any_measured = True
            ratio = ours / theirs if theirs else float("inf")
            ok_all &= ratio <= 1 / limit
            parts.append(f"{latency} ms: Python {fmt_s(ours)} vs pywa {fmt_s(theirs)} = "
                         + (f"1/{1 / ratio:.1f}" if ratio else "0"))
        rows.append((f"{number}. Python {what}: client CPU ≤ 1/{limit} of pywa's (CPU of the run "
                     "− CPU of the idle run)",
                     "; ".join(parts) if parts else "not measured in this run (needs the Python "
                     "package and pywa)", verdict(ok_all) if any_measured else "–"))

    python_vs_pywa(2, "block", users, f"block {users:,}", 8)
    page = 1000 if 1000 in cfg["pages"] else max(cfg["pages"])
    python_vs_pywa(3, "list", page, f"list {users:,} in pages of {page:,}", 6)

    # 4. Rust core: CPU per 1,000-user batch of a block <= 0.8 ms.
    parts, ok_all, any_measured = [], True, False
    for latency in cfg["latencies"]:
        cpu = cpu_over_idle("block", latency, users, "rust")
        if cpu is None:
            continue
        any_measured = True
        per = cpu / batches
        ok_all &= per <= 0.0008
        parts.append(f"{latency} ms: {per * 1000:.2f} ms per batch")
    rows.append((f"4. Rust core: block CPU ≤ 0.8 ms per 1,000-user batch", "; ".join(parts)
                 or "not measured", verdict(ok_all) if any_measured else "–"))

    # 5. Rust core: listing 64,000 users in <= 40 ms of CPU.
    parts, ok_all, any_measured = [], True, False
    for latency in cfg["latencies"]:
        cpu = cpu_over_idle("list", latency, page, "rust")
        if cpu is None:
            continue
        any_measured = True
        ok_all &= cpu <= 0.040
        parts.append(f"{latency} ms: {fmt_s(cpu)}")
    rows.append((f"5. Rust core: listing {users:,} users (pages of {page:,}) ≤ 40 ms of CPU",
                 "; ".join(parts) or "not measured", verdict(ok_all) if any_measured else "–"))

    # 6. Rust core: blocking 64,000 users grows peak RSS by < 16 MiB.
    parts, worst = [], None
    base = res.idle("rust", "maxrss_kib")
    for latency in cfg["latencies"]:
        peak = res.med("block", latency, users, "rust", "maxrss_kib")
        if peak is None or base is None:
            continue
        worst = peak - base if worst is None else max(worst, peak - base)
        parts.append(f"{latency} ms: +{(peak - base) / MIB:.1f} MiB")
    rows.append((f"6. Rust core: blocking {users:,} users grows peak RSS by < 16 MiB over the "
                 "idle process (the driver's own 64,000 input strings included)",
                 "; ".join(parts) or "not measured",
                 verdict(worst < 16 * MIB) if worst is not None else "–"))

    # Issue 16: the CLI's --json block of 64,000 users from a file, peak RSS < 48 MB.
    parts, worst = [], None
    for latency in cfg["latencies"]:
        peak = res.med("block", latency, users, "cli", "maxrss_kib")
        cpu = res.med("block", latency, users, "cli", "cpu_s")
        if peak is None:
            continue
        worst = peak if worst is None else max(worst, peak)
        parts.append(f"{latency} ms: {peak * 1024 / 1e6:.1f} MB ({peak / MIB:.1f} MiB), "
                     f"CPU {fmt_s(cpu)}")
    rows.append((f"(issue 16) CLI: `wablock --json block --from-file` of {users:,} users: peak RSS < 48 MB "
                 "(whole process)", "; ".join(parts) or "not measured (no CLI binary)",
                 verdict(worst < CLI_RSS_LIMIT_KIB) if worst is not None else "–"))

    # 3. Listing 64,000 users grows peak RSS by < 32 MiB over the idle process.
    parts, worst = [], None
    for d, name in (("rust", "Rust"), ("python", "Python"), ("c", "C")):
        base = res.idle(d, "maxrss_kib")
        if base is None:
            continue
        growth = [res.med("list", lat_, page, d, "maxrss_kib") - base
                  for lat_ in cfg["latencies"] for page in cfg["pages"]
                  if res.med("list", lat_, page, d, "maxrss_kib") is not None]
        if growth:
            g = max(growth)
            worst = g if worst is None else max(worst, g)
            parts.append(f"{name} +{g / MIB:.1f} MiB (idle {base / MIB:.1f} MiB)")
    rows.append((f"7. (issue 10) listing {users:,} users grows peak RSS by < 32 MiB over the "
                 "idle process (worst page size and latency)",
                 "; ".join(parts) if parts else "not measured",
                 verdict(worst < 32 * MIB) if worst is not None else "–"))

    # 4. At 0 ms, a 1-user block through Python takes at most 1.5x the Rust core's time.
    n1 = cfg["block1_iters"]
    py = res.med("block1", 0, n1, "python", "per_call_median_s")
    rs = res.med("block1", 0, n1, "rust", "per_call_median_s")
    if py is None or rs is None:
        rows.append(("8. (issue 10) 1-user block at 0 ms: Python ≤ 1.5 × Rust",
                     f"Rust {fmt_s(rs)} per call; Python not measured in this run", "–"))
    else:
        ratio = py / rs
        rows.append((f"8. (issue 10) 1-user block at 0 ms: Python ≤ 1.5 × Rust (median of {n1:,} timed "
                     "calls in one process, per run)",
                     f"Python {py * 1e6:.0f} µs vs Rust {rs * 1e6:.0f} µs = {ratio:.2f}×",
                     verdict(ratio <= 1.5)
                     + ("" if ratio <= 1.5 else f" by {(ratio / 1.5 - 1) * 100:.0f}%")))
    return rows


def table(res):
    doc, cfg = res.doc, res.cfg
    order = {name: i for i, name in enumerate(doc["drivers"])}
    lines = ["| scenario | driver | wall (process) | work (in-process) | CPU user+sys | "
             "sandbox CPU | peak RSS MiB | RSS over idle MiB | requests | runs |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = sorted(doc["results"], key=lambda r: (
        SCENARIO_ORDER.index(r["scenario"]), r["latency_ms"], r["param"],
        order.get(r["driver"], 99)))
    last = None
    for r in rows:
        m = r["median"]
        title = scenario_title(r, cfg)
        base = res.idle(r["driver"], "maxrss_kib")
        over = (m["maxrss_kib"] - base) if (base is not None and r["scenario"] != "idle") else None
        work = m.get("work_s")
        if r["scenario"] == "block1" and m.get("per_call_median_s") is not None:
            work_text = f"{m['per_call_median_s'] * 1e6:.0f} µs/call"
        else:
            work_text = fmt_s(work)
        lines.append(f"| {title if title != last else ''} | {r['label']} | {fmt_s(m['wall_s'])} "
                     f"| {work_text} | {fmt_s(m['cpu_s'])} | {fmt_s(m.get('server_cpu_s'))} "
                     f"| {fmt_mib(m['maxrss_kib'])} | "
                     f"{'–' if over is None else f'{over / MIB:+.1f}'} | "
                     f"{m.get('requests', '–') if m.get('requests') is not None else '–'} "
                     f"| {r['n_runs']} |")
        last = title
    return "\n".join(lines)


def chart(res, png):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed here, so no chart was drawn."
    doc, cfg = res.doc, res.cfg
    cells = []
    for lat in cfg["latencies"]:
        cells.append(("block", lat, cfg["users"], f"block {cfg['users'] // 1000}k\n{lat} ms"))
        for page in cfg["pages"]:
            cells.append(("list", lat, page, f"list p={page}\n{lat} ms"))
    drivers = [d for d in doc["drivers"] if d not in DIAGNOSTIC]
    metrics = [("wall_s", "wall time, s (log)", 1.0), ("cpu_s", "client CPU user+sys, s (log)", 1.0),
               ("maxrss_kib", "client peak RSS, MiB", 1 / MIB)]
    fig, axes = plt.subplots(len(metrics), 1, figsize=(12, 11), constrained_layout=True)
    width = 0.8 / max(len(drivers), 1)
    for ax, (key, label, scale) in zip(axes, metrics):
        for i, d in enumerate(drivers):
            xs, ys = [], []
            for j, (sc, lat, param, _) in enumerate(cells):
                v = res.med(sc, lat, param, d, key)
                if v is not None:
                    xs.append(j + (i - (len(drivers) - 1) / 2) * width)
                    ys.append(v * scale)
            ax.bar(xs, ys, width, label=doc["drivers"][d])
        ax.set_xticks(range(len(cells)))
        ax.set_xticklabels([c[3] for c in cells], fontsize=8)
        ax.set_ylabel(label)
        if key != "maxrss_kib":
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(ncol=min(len(drivers), 6), fontsize=8, loc="upper left")
    axes[0].set_title(f"wablock vs pywa vs httpx against the sandbox on loopback "
                      f"(median of {cfg['runs']} runs; {doc['machine'].get('nproc')} cores)")
    fig.savefig(png, dpi=90)
    plt.close(fig)
    return None


def machine_text(doc):
    m = doc["machine"]
    lines = [f"- Date: {doc['date']}; whole run {doc['duration_s']:.0f} s.",
             f"- CPU: {m.get('cpu', '?')}, {m.get('nproc')} logical cores; RAM {m.get('mem_gib')} GiB.",
             f"- OS: {m.get('os', '?')} ({m.get('platform')}).",
             f"- Toolchains: {m.get('rustc', '?')}; Python {m.get('python')}; {m.get('cc', '?')}.",
             f"- Load average at start {' '.join(m.get('loadavg_start', []))}, at end "
             f"{' '.join(m.get('loadavg_end', []))}: the machine carried other work, so "
             "absolute times are noisy; medians and the interleaved run order (every driver "
             "takes its turn within each run index) damp that."]
    versions = doc.get("versions") or {}
    if versions:
        lines.append("- Packages: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) + ".")
    if doc.get("skipped"):
        lines.append("- Drivers skipped (not built in this run): "
                     + "; ".join(f"{k} ({v})" for k, v in doc["skipped"].items()) + ".")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("out_md")
    ap.add_argument("--png", help="write the chart here (embedded by its file name)")
    ap.add_argument("--analysis", help="hand-written Markdown included verbatim")
    ap.add_argument("--versions", help="JSON object of package versions to list")
    args = ap.parse_args()
    with open(args.results) as f:
        doc = json.load(f)
    if args.versions and os.path.exists(args.versions):
        with open(args.versions) as f:
            doc["versions"] = json.load(f)
    res = Results(doc)
    cfg = res.cfg

    chart_note = None
    if args.png:
        chart_note = chart(res, args.png)
    out = ["<!-- Generated by bench/report.py from build/bench/results.json (make bench). "
           "Edit bench/analysis.md or the generator, not this file. -->",
           "# Benchmarks", ""]
    if doc.get("smoke"):
        out += ["**Smoke run** (tiny sizes, one run): it proves the harness works, its numbers "
                "mean nothing.", ""]
    out += [f"`make bench` blocks {cfg['users']:,} distinct users ({math.ceil(cfg['users'] / cfg['batch'])} "
            f"batches of {cfg['batch']:,}), lists them in pages of "
            f"{' and '.join(f'{p:,}' for p in cfg['pages'])}, at injected latencies of "
            f"{' and '.join(f'{x} ms' for x in cfg['latencies'])}, and times 1-user blocks, "
            "through every driver, against the sandbox (`wablock-sandbox --open --latency-ms N`) "
            "on loopback; the Rust core also blocks against a stateless echo server "
            "(`wablock-bench-echo`), and the CLI blocks from a file. Method, drivers and caveats "
            "are below the results.", "",
            "## Machine", "", machine_text(doc), "",
            "## Targets", "",
            "| target | measured (medians) | verdict |", "| --- | --- | --- |"]
    for t, m, v in targets(res):
        out.append(f"| {t} | {m} | {v} |")
    out += ["", "## Results", "",
            f"Medians of {cfg['runs']} runs per cell (listing pages of "
            f"{min(cfg['pages'])} at {max(cfg['latencies'])} ms: {cfg['slow_runs']} runs for the "
            f"wablock drivers, {cfg.get('slow_peer_runs', cfg['slow_runs'])} for pywa and httpx; "
            "the *runs* column says; see Method). *wall*: spawn to exit of the driver process, interpreter start-up "
            "included. *work*: the operation alone, timed inside the process. *CPU*: the driver "
            "process's own user+sys time (the sandbox runs in another process). *sandbox CPU*: "
            "the server's CPU time during the run (10 ms ticks; the echo server's in the echo rows), "
            "not charged to the client. "
            "*RSS over idle*: "
            "peak RSS minus the same driver's idle run (start, build a client, exit).", "",
            table(res), ""]
    if args.png:
        if chart_note:
            out += [f"_{chart_note}_", ""]
        else:
            out += [f"![benchmark chart]({os.path.basename(args.png)})", ""]
    if args.analysis and os.path.exists(args.analysis):
        with open(args.analysis) as f:
            out += [f.read().rstrip(), ""]
    os.makedirs(os.path.dirname(os.path.abspath(args.out_md)), exist_ok=True)
    with open(args.out_md, "w") as f:
        f.write("\n".join(out))
    print(f"report: {args.out_md}" + (f", {args.png}" if args.png and not chart_note else ""))


if __name__ == "__main__":
    sys.exit(main())
