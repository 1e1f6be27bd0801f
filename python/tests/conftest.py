"""Fixtures: the sandbox binary (WABLOCK_SANDBOX_BIN) started once on port 0, reset per test."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

import wablock

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "sandbox-token"
API_KEY = "sandbox-key"
PHONE = "1000"

# Never route loopback control calls through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Sandbox:
    """The running sandbox and its control endpoints (docs/sandbox.md)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with _OPENER.open(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def reset(self) -> None:
        self.call("POST", "/_sandbox/reset", {})

    def requests(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/_sandbox/requests")
        return result

    def api_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if not r.get("path", "").startswith("/_sandbox/")]

    def inbound(self, wa_id: str, phone_number_id: str = PHONE) -> None:
        self.call("POST", "/_sandbox/inbound", {"phone_number_id": phone_number_id, "wa_id": wa_id})

    def config(self, **switches: Any) -> None:
        self.call("POST", "/_sandbox/config", switches)

    def phone(self, **settings: Any) -> None:
        self.call("POST", "/_sandbox/phone", {"phone_number_id": PHONE, **settings})

    def script(self, *responses: dict[str, Any]) -> None:
        self.call("POST", "/_sandbox/script", {"responses": list(responses)})


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    binary = os.environ.get("WABLOCK_SANDBOX_BIN")
    if not binary:
        raise RuntimeError(
            "WABLOCK_SANDBOX_BIN must name the wablock-sandbox binary (make python-test sets it)"
        )
    proc = subprocess.Popen(
        [binary, "--port", "0", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    try:
        yield Sandbox(url)
    finally:
        proc.stdin.close()  # --exit-on-stdin-eof: closing stdin stops it
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    sandbox_server.reset()
    return sandbox_server


def fast_options(sandbox: Sandbox, **options: Any) -> dict[str, Any]:
    """Client options for the sandbox with tiny backoffs, so retry tests take milliseconds;
    `options` override them."""
    settings: dict[str, Any] = dict(
        base_url=sandbox.url,
        read_timeout=5.0,
        connect_timeout=5.0,
        initial_backoff=0.001,
        max_backoff=0.05,
        jitter=False,
    )
    settings.update(options)
    return settings


def make_client(sandbox: Sandbox, **options: Any) -> wablock.Client:
    """A Meta client on the sandbox with tiny backoffs (`fast_options`)."""
    return wablock.Client(PHONE, TOKEN, **fast_options(sandbox, **options))


@pytest.fixture
def client(sandbox: Sandbox) -> wablock.Client:
    return make_client(sandbox)
