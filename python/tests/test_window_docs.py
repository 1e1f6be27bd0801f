"""The Python examples of docs/window.md, run as written on the sandbox (24-hour rule on)."""

from __future__ import annotations

import os
import pathlib
import re
from typing import Any, Dict, Optional

import pytest

from conftest import ROOT, TOKEN, Sandbox
from test_window import APP_SECRET

NUMBER = "106540352242922"
DOCS = pathlib.Path(os.environ.get("WABLOCK_DOCS_DIR", ROOT / "docs"))


def example(heading: str) -> str:
    """The first ```python block after `heading` in docs/window.md."""
    path = DOCS / "window.md"
    if not path.is_file():
        # `make python-wheel-check` runs a copy of python/tests outside the checkout.
        pytest.skip(f"{path} is not beside these tests (set WABLOCK_DOCS_DIR); make python-test runs it")
    text = path.read_text()
    start = text.index(f"\n{heading}\n")
    found = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert found is not None, f"no python block under {heading}"
    return found.group(1)


class Request:
    """A web framework's request for the webhook: the user writes in (on the sandbox) when the
    receiver first reads it, after the example queued the block."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._hook: Optional[Dict[str, Any]] = None

    def _delivered(self) -> Dict[str, Any]:
        if self._hook is None:
            self._hook = self._sandbox.call(
                "POST", "/_sandbox/inbound", {"phone_number_id": NUMBER, "wa_id": "16505550000"}
            )
        return self._hook

    @property
    def body(self) -> bytes:
        body: str = self._delivered()["webhook_body"]
        return body.encode()

    @property
    def headers(self) -> Dict[str, str]:
        return {"X-Hub-Signature-256": self._delivered()["signature"]}

    async def read(self) -> bytes:
        return self.body


@pytest.mark.parametrize("heading", ["### Python", "### Python, asyncio"])
def test_the_documented_example_runs(
    heading: str, sandbox: Sandbox, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the example's "window.db"
    code = example(heading)
    scope: Dict[str, Any] = {
        "token": TOKEN,
        "base_url": sandbox.url,
        "app_secret": APP_SECRET,
        "request": Request(sandbox),
    }
    exec(compile(code, f"docs/window.md ({heading})", "exec"), scope)
    state = sandbox.call("GET", f"/_sandbox/state?phone_number_id={NUMBER}")
    assert state["blocked_count"] == 1
    assert (tmp_path / "window.db").is_file()
