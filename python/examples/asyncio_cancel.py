"""Block users from asyncio with a time budget: whatever is not done when it runs out is kept.

    WABLOCK_PHONE_NUMBER_ID=... WABLOCK_ACCESS_TOKEN=... python asyncio_cancel.py 5 +16505551234 ...

The first argument is the budget in seconds. When it runs out, the task is cancelled: wablock
sends no new batch, the batches in flight finish, and `on_cancel` receives the accounting.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import List, Union

import wablock


def keep(result: Union[wablock.Outcome, wablock.WablockError]) -> None:
    if isinstance(result, wablock.WablockError):
        done = len(result.partial.succeeded) if result.partial else 0
        print(f"stopped: {done} blocked, {len(result.not_attempted)} to try again later")
    else:
        print(f"every batch had finished: {len(result.succeeded)} blocked")


async def main(budget: float, users: List[str]) -> int:
    logging.basicConfig(level=logging.INFO)
    async with wablock.AsyncClient.from_env(on_cancel=keep) as client:
        try:
            outcome = await asyncio.wait_for(client.block(users), budget)
        except asyncio.TimeoutError:
            return 1
        print(f"{len(outcome.succeeded)} blocked, {len(outcome.failed)} not")
        async for user in client.blocked_users(page_size=100):
            print("on the list:", user.wa_id or user.user_id)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(float(sys.argv[1]), sys.argv[2:])))
