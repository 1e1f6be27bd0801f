"""Catching wablock errors the Pythonic way, paging by hand, and sharing a client across threads."""

from __future__ import annotations

import builtins
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

import wablock


def block_safely(client: wablock.Client, users: List[str]) -> Dict[str, str]:
    """Maps every input to a one-word status; never raises for an API failure."""
    status: Dict[str, str] = {}
    try:
        outcome = client.block(users)
    except ValueError as e:  # InvalidArgumentError is a ValueError
        return {u: f"invalid call: {e}" for u in users}
    except (builtins.TimeoutError, ConnectionError) as e:  # wablock's are these too
        assert isinstance(e, wablock.WablockError)
        return {u: "try again later" for u in e.not_attempted}
    except wablock.RateLimitError as e:
        wait: Optional[float] = e.retry_after
        return {u: f"throttled, wait {wait}s" for u in e.not_attempted}
    for s in outcome.succeeded:
        status[s.input] = "blocked"
    for f in outcome.failed:
        status[f.input] = f.reason.value
    return status


def all_pages(client: wablock.Client) -> int:
    count = 0
    page = client.list_page(limit=500)
    while True:
        count += len(page.users)
        if not page.has_more or page.after is None:
            return count
        page = client.list_page(limit=500, after=page.after)


def in_parallel(client: wablock.Client, groups: List[List[str]]) -> List[bool]:
    # The client is thread-safe and releases the GIL while it waits on the network.
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda g: client.block(g).ok, groups))


def main() -> None:
    client = wablock.Client(
        "106540352242922",
        "EAAG...",
        api_version="v25.0",
        read_timeout=10.0,
        max_attempts=4,
        parallelism=4,
        max_batch=1000,
    )
    print(repr(client))  # shows the endpoint, never the token
    print(block_safely(client, ["+1 650 555 1234"]))
    print(all_pages(client), in_parallel(client, [["16505551234"], ["16505551235"]]))
    print(client.is_blocked("+1 650 555 1234"))
    d360 = wablock.Client.dialog360("your-360dialog-api-key", base_url="https://waba-v2.360dialog.io")
    err: wablock.WablockError = wablock.AuthError("example")
    print(d360.provider, err.to_dict()["error"]["kind"], wablock.ErrorKind.AUTH.code)


if __name__ == "__main__":
    main()
