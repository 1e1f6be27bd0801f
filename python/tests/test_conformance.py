"""The conformance vectors (tests/conformance/README.md) through the Python package.

Each vector's canonical result is written to build/conformance/python/<file>.json, which
`make conformance-compare` diffs byte for byte against the Rust runner's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import wablock
from wablock import _wablock
from conftest import ROOT, Sandbox
from fleet_runner import by_path, run_fleet

VECTORS_DIR = Path(os.environ.get("WABLOCK_CONFORMANCE_VECTORS", ROOT / "tests/conformance/vectors"))
RESULTS_DIR = ROOT / "build/conformance/python"
VECTORS = sorted(VECTORS_DIR.glob("*.json"))


def test_vectors_are_present() -> None:
    # An empty directory would make the parametrized test below vanish silently.
    assert len(VECTORS) >= 40, f"only {len(VECTORS)} vectors in {VECTORS_DIR}"


def build_client(spec: Optional[Dict[str, Any]], base: str) -> wablock.Client:
    """The client a vector describes, with the README's defaults."""
    spec = spec or {}
    retry = spec.get("retry") or {}

    def get(obj: Dict[str, Any], key: str, default: Any) -> Any:
        value = obj.get(key)
        return default if value is None else value

    deadline_ms = spec.get("deadline_ms")
    options: Dict[str, Any] = dict(
        base_url=base,
        max_batch=get(spec, "max_batch", 1000),
        parallelism=get(spec, "parallelism", 1),
        max_attempts=get(retry, "max_attempts", 4),
        initial_backoff=get(retry, "initial_backoff_ms", 1) / 1000,
        max_backoff=get(retry, "max_backoff_ms", 50) / 1000,
        jitter=get(retry, "jitter", False),
        read_timeout=get(spec, "read_timeout_ms", 2000) / 1000,
        connect_timeout=get(spec, "connect_timeout_ms", 2000) / 1000,
        deadline=None if deadline_ms is None else deadline_ms / 1000,
        list_restart_budget=get(spec, "list_restart_budget", 3),
        max_response_bytes=get(spec, "max_response_bytes", 8 * 1024 * 1024),
    )
    provider = get(spec, "provider", "meta")
    if provider == "meta":
        return wablock.Client(
            get(spec, "phone_number_id", "1000"),
            get(spec, "access_token", "sandbox-token"),
            api_version=get(spec, "api_version", "v25.0"),
            **options,
        )
    assert provider == "360dialog", provider
    return wablock.Client.dialog360(get(spec, "api_key", "sandbox-key"), **options)


def run_operation(client: wablock.Client, op: Dict[str, Any]) -> Any:
    """The operation's canonical result, as a JSON value."""
    name = op["op"]
    try:
        if name in ("block", "unblock"):
            call = client.block if name == "block" else client.unblock
            return call(op["users"]).to_dict()
        if name == "list_page":
            return client.list_page(op.get("limit"), op.get("after"), op.get("before")).to_dict()
        if name == "blocked_users":
            # The walk's shape is the core's: the runner only collects what the iterator gave.
            users: List[wablock.BlockedUser] = []
            error: Optional[wablock.WablockError] = None
            try:
                for user in client.blocked_users(op.get("page_size")):
                    users.append(user)
            except wablock.WablockError as e:
                error = e
            return json.loads(_wablock.blocked_users_canonical_json(users, error))
        if name == "is_blocked":
            return json.loads(_wablock.is_blocked_canonical_json(client.is_blocked(op["user"])))
    except wablock.WablockError as e:
        return e.to_dict()
    raise AssertionError(f"unknown operation {name!r}")


def canonical(value: Any) -> str:
    # The core's canonical form, so Python never re-implements it.
    return _wablock.canonical_json(json.dumps(value))


def problems(vector: Dict[str, Any], result: Any, requests: List[Dict[str, Any]]) -> List[str]:
    found: List[str] = []
    expect = vector["expect"]
    if canonical(expect["result"]) != canonical(result):
        found.append(f"result differs:\n  want {canonical(expect['result'])}\n  got  {canonical(result)}")
    want_requests = expect.get("requests")
    if want_requests is not None:
        if len(want_requests) != len(requests):
            seen = [f"{r.get('method')} {r.get('path')}" for r in requests]
            found.append(f"expected {len(want_requests)} request(s), the sandbox saw {len(requests)}: {seen}")
        for i, (want, got) in enumerate(zip(want_requests, requests)):
            for key, value in want.items():
                if canonical(value) != canonical(got.get(key)):
                    found.append(f"request {i} {key}: expected {canonical(value)}, got {canonical(got.get(key))}")
    return found


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector(path: Path, sandbox: Sandbox) -> None:
    vector = json.loads(path.read_text())
    for step in vector.get("setup") or []:
        sandbox.call(step.get("method", "POST"), step["path"], step.get("body"))
    if "fleet" in vector:
        result = run_fleet(vector, lambda spec: build_client(spec, sandbox.url))
        requests = by_path(sandbox.requests())
    else:
        try:
            client = build_client(vector.get("client"), sandbox.url)
        except wablock.WablockError as e:
            result = e.to_dict()  # a configuration the core refuses is the vector's result
        else:
            result = run_operation(client, vector["operation"])
        requests = sandbox.requests()

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{path.stem}.json").write_text(canonical(result))

    found = problems(vector, result, requests)
    known_bug = vector.get("known_core_bug")
    if known_bug:
        # Like the Rust runner: an expected failure, and a marker that no longer fails is stale.
        assert found, f"marked known_core_bug ({known_bug}) but it passes: remove the marker"
    else:
        assert not found, "\n".join(found)
