#!/usr/bin/env python3
"""Prints the versions of the benchmark's packages as a JSON object (for docs/benchmarks.md)."""

import json
from importlib import metadata

out = {}
for name in ("wablock", "pywa", "httpx", "matplotlib"):
    try:
        out[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        pass
print(json.dumps(out))
