"""The window flow on a real PostgreSQL server started here (initdb + pg_ctl on a free loopback
port in a temp dir, as crates/wablock-window/tests does), blocking and asyncio. Skipped, with a
loud line, when initdb and pg_ctl are not installed (.ci/setup.d/50-postgres.sh installs them)."""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
from typing import Iterator, List, Optional

import pytest

import wablock
from conftest import PHONE, Sandbox, make_client
from test_window import APP_SECRET, STALE, inbound, run_flow


def _pg_bin() -> Optional[pathlib.Path]:
    """The directory holding initdb, pg_ctl and createdb (following a symlink on PATH)."""
    found = shutil.which("initdb")
    candidates = [os.path.dirname(os.path.realpath(found))] if found else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for d in candidates:
        if all(os.path.isfile(os.path.join(d, p)) for p in ("initdb", "pg_ctl", "createdb")):
            return pathlib.Path(d)
    return None


class PgServer:
    def __init__(self, bin_dir: pathlib.Path, port: int, as_user: List[str]) -> None:
        self.bin_dir = bin_dir
        self.port = port
        self.as_user = as_user
        self._names = itertools.count()

    def run(self, program: str, *args: str, cwd: str) -> None:
        cmd = [*self.as_user, str(self.bin_dir / program), *args]
        done = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"

    def database(self, cwd: str) -> str:
        """A fresh empty database's URL."""
        name = f"py{os.getpid()}_{next(self._names)}"
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name, cwd=cwd)
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="module")
def postgres() -> Iterator[tuple[PgServer, str]]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        print("\n!!! SKIPPED: PostgreSQL window tests: initdb/pg_ctl/createdb not found", file=sys.stderr)
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed")
    as_user: List[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as nobody
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        as_user = [runuser, "-u", "nobody", "--"]
    workdir = tempfile.mkdtemp(prefix="wablock-py-pg-", dir="/tmp" if as_user else None)
    if as_user:
        shutil.chown(workdir, user="nobody")
    data = os.path.join(workdir, "data")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = PgServer(bin_dir, port, as_user)
    server.run("initdb", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D", data, cwd=workdir)
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = os.path.join(workdir, "server.log")
    server.run("pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "start", cwd=workdir)
    try:
        yield server, workdir
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
            cwd=workdir,
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


def test_the_flow_on_postgres(sandbox: Sandbox, postgres: tuple[PgServer, str]) -> None:
    server, workdir = postgres
    url = server.database(workdir)
    with wablock.Window(url, {PHONE: make_client(sandbox)}, app_secret=APP_SECRET) as window:
        assert window.is_postgres
        assert repr(window).startswith("Window(store='postgres://[url redacted]', ")
        run_flow(sandbox, window)


def test_the_async_flow_on_postgres(sandbox: Sandbox, postgres: tuple[PgServer, str]) -> None:
    server, workdir = postgres
    url = server.database(workdir)

    async def main() -> None:
        window = await wablock.AsyncWindow.open(
            url, {PHONE: make_client(sandbox)}, app_secret=APP_SECRET
        )
        async with window:
            assert (await window.block_when_possible(PHONE, [STALE])).queued == [STALE]
            hook = await asyncio.to_thread(inbound, sandbox, "16505550000")
            with pytest.raises(wablock.SignatureError):
                await window.ingest(hook["webhook_body"].encode(), "sha256=" + "0" * 64)
            report = await window.ingest(hook["webhook_body"].encode(), hook["signature"])
            assert [(b.input, b.still_pending) for b in report.blocks] == [(STALE, False)]
            assert await window.pending() == []
            again = await window.ingest(hook["webhook_body"].encode(), hook["signature"])
            assert (again.new_messages, again.blocks) == (0, [])

    asyncio.run(main())
