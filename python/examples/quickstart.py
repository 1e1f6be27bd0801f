"""Block a few users, show what happened to each one, then walk the blocklist.

Run it against the sandbox (`wablock-sandbox --demo`) or the real API:

    WABLOCK_PHONE_NUMBER_ID=... WABLOCK_ACCESS_TOKEN=... python quickstart.py +16505551234
"""

from __future__ import annotations

import logging
import sys
from typing import List

import wablock


def report(outcome: wablock.Outcome) -> None:
    for ok in outcome.succeeded:
        print(f"blocked   {ok.input!r} (sent as {ok.sent})")
    for failed in outcome.failed:
        print(f"NOT done  {failed.input!r}: {failed.reason.value}: {failed.hint}")
        if failed.reason is wablock.Reason.REENGAGEMENT_REQUIRED:
            print("          (ask them to message you first, then try again)")


def main(users: List[str]) -> int:
    logging.basicConfig(level=logging.INFO)
    try:
        client = wablock.Client.from_env(read_timeout=10.0, max_attempts=4)
    except wablock.InvalidArgumentError as e:
        print(f"configuration: {e}", file=sys.stderr)
        return 2
    with client:
        try:
            outcome = client.block(users, on_progress=lambda done, total: print(f"{done}/{total}"))
        except wablock.AuthError as e:
            print(f"the token was refused: {e.message} (trace {e.fbtrace_id})", file=sys.stderr)
            return 1
        except wablock.WablockError as e:
            # The call failed as a whole; every input is still accounted for.
            if e.partial is not None:
                report(e.partial)
            print(f"{e.kind.value}: {e.message}; never sent: {e.not_attempted}", file=sys.stderr)
            if e.retry_after is not None:
                print(f"the server asked to wait {e.retry_after:.0f} s", file=sys.stderr)
            return 1
        report(outcome)
        print(outcome.to_json())

        for user in client.blocked_users(page_size=100):
            print("on the blocklist:", user.wa_id or user.user_id)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["+1 (650) 555-1234"]))
