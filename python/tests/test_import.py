"""Importing wablock stays cheap: the asyncio layer loads on first use of an async class."""

import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_import_does_not_load_asyncio() -> None:
    assert _run("import sys, wablock; print('asyncio' in sys.modules)") == "False"


def test_async_names_load_on_first_use() -> None:
    out = _run(
        "import sys, wablock\n"
        "from wablock import AsyncClient, AsyncWindow\n"
        "print(AsyncClient.__module__, AsyncWindow.__module__, 'asyncio' in sys.modules,\n"
        "      wablock.AsyncFleet is wablock.AsyncFleet, 'AsyncBlockedUsers' in dir(wablock),\n"
        "      set(wablock.__all__) >= {'AsyncClient', 'OnCancel', 'OnFleetCancel'})"
    )
    assert out == "wablock._async wablock._async True True True True"


def test_unknown_attribute_is_an_attribute_error() -> None:
    out = _run(
        "import wablock\n"
        "try:\n"
        "    wablock.NoSuchThing\n"
        "except AttributeError as e:\n"
        "    print(e)"
    )
    assert out == "module 'wablock' has no attribute 'NoSuchThing'"
