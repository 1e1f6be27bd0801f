"""Plain httpx loop: what a caller writes by hand with no SDK. Sequential POSTs of 1,000-user
bodies; GET pages following ``paging.cursors.after`` while ``paging.next`` is present."""

import time

from _common import emit, make_users, parse_args, time_calls, user

import httpx

BATCH = 1000


def main() -> None:
    mode, url, phone, token, n = parse_args()
    http = httpx.Client(base_url=f"{url}/v25.0/{phone}",
                        headers={"Authorization": f"Bearer {token}"})

    def block(users):
        r = http.post("/block_users", json={"messaging_product": "whatsapp",
                                            "block_users": [{"user": u} for u in users]})
        r.raise_for_status()
        return len(r.json()["block_users"]["added_users"])

    if mode == "idle":
        emit(mode=mode, count=0)
    elif mode == "block":
        users = make_users(n)
        start = time.perf_counter()
        count = requests = 0
        for i in range(0, n, BATCH):
            count += block(users[i:i + BATCH])
            requests += 1
        work = time.perf_counter() - start
        emit(mode=mode, count=count, requests=requests, work_s=work)
    elif mode == "list":
        start = time.perf_counter()
        params = {"limit": n}
        count = requests = 0
        while True:
            r = http.get("/block_users", params=params)
            r.raise_for_status()
            body = r.json()
            requests += 1
            count += len(body.get("data", []))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
            params = {"limit": n, "after": after}
        work = time.perf_counter() - start
        emit(mode=mode, count=count, requests=requests, work_s=work)
    elif mode == "block1":
        ok, total, median = time_calls(n, lambda i: block([user(i)]))
        emit(mode=mode, count=ok, requests=n, work_s=total, per_call_median_s=median,
             per_call_mean_s=total / n if n else 0.0)


if __name__ == "__main__":
    main()
