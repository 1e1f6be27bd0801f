"""pywa driver (the most complete Python peer, pinned in bench/requirements.txt).

pywa 4.x has no ``base_url`` argument: ``pywa.api.GraphAPI.__init__`` sets
``session.base_url = "https://graph.facebook.com/v{api_version}"`` on the ``httpx.Client``.
We pass our own ``httpx.Client`` and, after construction, point its ``base_url`` at the sandbox
(``wa.api._session.base_url = BASE_URL + "/v25.0"``). Nothing else is patched: requests go
through pywa's ``block_users`` / ``get_blocked_users`` and its result types.

pywa 4.5.0's ``get_blocked_users`` cannot parse Meta's documented list response: its
``BlockedUser.from_dict`` reads ``data["input"]``, but list items are
``{"messaging_product": "whatsapp", "wa_id": "…"}`` (no ``input``; pywa's own docstring shows that
shape), so it raises ``KeyError: 'input'`` on the first page. To benchmark its listing at all we
wrap ``BlockedUser.from_dict`` to fill ``input`` from ``wa_id``/``user_id`` when it is missing
(one dict copy per item, the only change; ``PYWA_NO_SHIM=1`` shows the crash).

The caller splits the users into batches of 1,000 (pywa does not), sequentially as a typical
caller would; ``PYWA_THREADS=4`` runs the batches on a thread pool of 4 instead (the same
parallelism as wablock's default), each thread with its own WhatsApp object because pywa
documents its httpx session as not safe to share.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from _common import emit, make_users, parse_args, time_calls, user

import httpx
from pywa import WhatsApp
from pywa.types import Pagination

BATCH = 1000


def install_list_shim() -> None:
    from pywa.types import others

    original = others.BlockedUser.from_dict.__func__

    def tolerant(cls, client, data):
        if "input" not in data:
            data = {**data, "input": data.get("wa_id") or data.get("user_id")}
        return original(cls, client=client, data=data)

    others.BlockedUser.from_dict = classmethod(tolerant)


def make_client(url: str, phone: str, token: str) -> WhatsApp:
    wa = WhatsApp(phone_id=phone, token=token, session=httpx.Client())
    wa.api._session.base_url = f"{url}/v25.0"
    return wa


def main() -> None:
    mode, url, phone, token, n = parse_args()
    threads = int(os.environ.get("PYWA_THREADS", "1"))
    if not os.environ.get("PYWA_NO_SHIM"):
        install_list_shim()
    wa = make_client(url, phone, token)
    if mode == "idle":
        emit(mode=mode, count=0)
    elif mode == "block":
        users = make_users(n)
        batches = [users[i:i + BATCH] for i in range(0, n, BATCH)]
        start = time.perf_counter()
        if threads <= 1:
            results = [wa.block_users(users=b) for b in batches]
        else:
            local = threading.local()

            def run(batch):
                if not hasattr(local, "wa"):
                    local.wa = make_client(url, phone, token)
                return local.wa.block_users(users=batch)

            with ThreadPoolExecutor(max_workers=threads) as pool:
                results = list(pool.map(run, batches))
        work = time.perf_counter() - start
        emit(mode=mode, count=sum(len(r.added_users) for r in results),
             failed=sum(len(r.failed_users) for r in results), requests=len(batches),
             work_s=work)
    elif mode == "list":
        start = time.perf_counter()
        page = wa.get_blocked_users(pagination=Pagination(limit=n))
        count, requests = len(page), 1
        while page.has_next:
            page = page.next()
            count += len(page)
            requests += 1
        work = time.perf_counter() - start
        emit(mode=mode, count=count, requests=requests, work_s=work)
    elif mode == "block1":
        ok, total, median = time_calls(n, lambda i: len(wa.block_users(users=[user(i)]).added_users))
        emit(mode=mode, count=ok, requests=n, work_s=total, per_call_median_s=median,
             per_call_mean_s=total / n if n else 0.0)


if __name__ == "__main__":
    main()
