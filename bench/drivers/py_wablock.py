"""Python-package driver: ``import wablock`` (the Rust core through the extension)."""

import time

from _common import emit, make_users, parse_args, time_calls, user

import wablock


def main() -> None:
    mode, url, phone, token, n = parse_args()
    client = wablock.Client(phone, token, base_url=url)
    if mode == "idle":
        emit(mode=mode, count=0)
    elif mode == "block":
        users = make_users(n)
        start = time.perf_counter()
        outcome = client.block(users)
        work = time.perf_counter() - start
        emit(mode=mode, count=len(outcome.succeeded), failed=len(outcome.failed),
             requests=outcome.requests, work_s=work)
    elif mode == "list":
        start = time.perf_counter()
        it = client.blocked_users(page_size=n)
        count = sum(1 for _ in it)
        work = time.perf_counter() - start
        emit(mode=mode, count=count, requests=it.pages_requested, work_s=work)
    elif mode == "block1":
        ok, total, median = time_calls(n, lambda i: len(client.block([user(i)]).succeeded))
        emit(mode=mode, count=ok, requests=n, work_s=total, per_call_median_s=median,
             per_call_mean_s=total / n if n else 0.0)


if __name__ == "__main__":
    main()
