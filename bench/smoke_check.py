#!/usr/bin/env python3
"""Checks what `make bench-smoke` produced: every required driver ran every scenario with the
right answers, and the report has its targets and results tables.

    python3 bench/smoke_check.py RESULTS_JSON REPORT_MD DRIVER[,DRIVER...]
"""

import json
import sys


def main() -> int:
    results_path, report_path, required = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    with open(results_path) as f:
        doc = json.load(f)
    cfg = doc["config"]
    every = {("block", cfg["users"]), ("block1", cfg["block1_iters"]), ("idle", 0)}
    every |= {("list", p) for p in cfg["pages"]}
    # The CLI driver blocks only; the Rust driver also blocks against the echo server.
    only = {"cli": {("block", cfg["users"]), ("idle", 0)}}
    also = {"rust": {("block-echo", cfg["users"])}}
    problems = []
    n = 0
    for driver in required:
        expected = only.get(driver, every) | also.get(driver, set())
        n += len(expected)
        cells = {(r["scenario"], r["param"]): r for r in doc["results"] if r["driver"] == driver}
        for key in sorted(expected):
            r = cells.get(key)
            if r is None:
                problems.append(f"{driver}: no result for {key}")
                continue
            m = r["median"]
            if not (m["wall_s"] > 0 and m["cpu_s"] > 0 and m["maxrss_kib"] > 0):
                problems.append(f"{driver} {key}: a measurement is missing or zero: {m}")
            want = {"block": cfg["users"], "block-echo": cfg["users"], "list": cfg["users"],
                    "block1": cfg["block1_iters"]}
            if key[0] in want and m["count"] != want[key[0]]:
                problems.append(f"{driver} {key}: counted {m['count']}, expected {want[key[0]]}")
    with open(report_path) as f:
        report = f.read()
    for heading in ("## Targets", "## Results", "| scenario | driver |"):
        if heading not in report:
            problems.append(f"the report lacks {heading!r}")
    for p in problems:
        print(f"bench-smoke: {p}", file=sys.stderr)
    print(f"bench-smoke: {n - len(problems)} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
