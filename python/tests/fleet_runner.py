"""Fleet vectors (tests/conformance/README.md, "Fleet vectors") for the Python runner."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List

import wablock


def member_spec(defaults: Dict[str, Any], member: Dict[str, Any]) -> Dict[str, Any]:
    """The top-level client with the member's own keys laid over it."""
    spec = dict(defaults or {})
    spec.update(member.get("client") or {})
    return spec


def run_fleet(vector: Dict[str, Any], build_client: Callable[[Dict[str, Any]], wablock.Client]) -> Any:
    """The fleet vector's canonical result (the core's JSON), as a JSON value."""
    try:
        members = [
            (m["label"], build_client(member_spec(vector.get("client") or {}, m)))
            for m in vector["fleet"]
        ]
        fleet = wablock.Fleet(members, total_parallelism=vector.get("total_parallelism"))
    except wablock.WablockError as e:
        return e.to_dict()
    op = vector["operation"]
    name = op["op"]
    if name in ("fleet_block", "fleet_unblock"):
        call = fleet.block if name == "fleet_block" else fleet.unblock
        return json.loads(call(op["users"]).to_json())
    if name == "fleet_is_blocked":
        return json.loads(fleet.is_blocked(op["user"]).to_json())
    if name == "fleet_blocked_users":
        return json.loads(fleet.blocked_users(op.get("page_size")).to_json())
    raise AssertionError(f"unknown fleet operation {name!r}")


def by_path(requests: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Numbers run in parallel: each number's requests in their own order (a stable sort)."""
    return sorted(requests, key=lambda r: str(r.get("path")))
