"""``AsyncClient``: the asyncio form of ``Client``.

Each call runs the blocking core on a worker thread of the event loop's default executor, with
the GIL released while it waits on the network, and with a ``CancelToken`` of its own. The loop
never blocks. When the awaiting task is cancelled, the token is cancelled: the core sends no new
request (batches in flight finish), the task waits for that, then re-raises
``asyncio.CancelledError`` as asyncio requires. What the call did is never lost:

- it is logged on the ``wablock`` logger (WARNING for block/unblock, with the counts);
- it is passed to the ``on_cancel`` hook (per call, or the client's default): normally a
  ``wablock.CancelledError`` whose ``partial`` and ``not_attempted`` account for every input; an
  ``Outcome`` if every batch had already finished; another ``WablockError`` if the call had
  failed first;
- when it is an error, it is the ``__cause__`` of the re-raised ``asyncio.CancelledError``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

from ._wablock import (
    BlockedUser,
    CancelToken,
    Cancelled,
    Client,
    Fleet,
    FleetBlocklist,
    FleetResults,
    IngestReport,
    Outcome,
    Page,
    PendingBlock,
    QueuedBlockResult,
    WhenPossible,
    Window,
    WindowState,
)

if TYPE_CHECKING:
    import os

    from typing_extensions import Self, Unpack

    from . import WablockError
    from ._wablock import _ClientOptions, _ProgressCallback

__all__ = [
    "AsyncBlockedUsers",
    "AsyncClient",
    "AsyncFleet",
    "AsyncWindow",
    "OnCancel",
    "OnFleetCancel",
    "OnWindowCancel",
]

_LOG = logging.getLogger("wablock")
_T = TypeVar("_T")

#: The ``on_cancel`` hook: receives what a cancelled call ended with (see the module docstring).
OnCancel = Callable[[Union[Outcome, "WablockError"]], object]
#: ``AsyncFleet``'s hook: the cancelled call's ``FleetResults``, in which each number's entry is
#: its finished outcome or its own ``CancelledError`` with that number's accounting.
OnFleetCancel = Callable[[FleetResults], object]
#: ``AsyncWindow``'s hook: what a cancelled window call ended with: the error it raised (the
#: core's ``CancelledError`` with its accounting, normally), or the ``WhenPossible``,
#: ``IngestReport``, list of ``QueuedBlockResult`` or ``Cancelled`` it returned.
OnWindowCancel = Callable[
    [Union[WhenPossible, IngestReport, List[QueuedBlockResult], Cancelled, "WablockError"]],
    object,
]


def _describe(what: str, result: object) -> str:
    if isinstance(result, FleetResults):
        stopped = [e.label for e in result.entries if e.error is not None]
        return f"{what} cancelled on a fleet: numbers ended by an error: {stopped or 'none'}"
    if isinstance(result, Outcome):
        return (
            f"{what} cancelled after every batch had finished: {len(result.succeeded)} succeeded, "
            f"{len(result.failed)} failed"
        )
    partial = getattr(result, "partial", None)
    not_attempted = getattr(result, "not_attempted", None) or []
    succeeded = len(partial.succeeded) if partial is not None else 0
    failed = len(partial.failed) if partial is not None else 0
    return (
        f"{what} cancelled: {succeeded} succeeded, {failed} failed, "
        f"{len(not_attempted)} not attempted ({result})"
    )


def _describe_blocks(blocks: List[QueuedBlockResult]) -> str:
    pending = sum(1 for b in blocks if b.still_pending)
    return (
        f"{len(blocks)} queued blocks taken up ({len(blocks) - pending} done, {pending} still "
        "queued); any other queued block stays queued"
    )


def _describe_window(what: str, result: object) -> str:
    if isinstance(result, WhenPossible):
        return (
            f"{what} cancelled after the call had finished: {len(result.outcome.succeeded)} "
            f"succeeded, {len(result.outcome.failed)} failed, {len(result.queued)} queued "
            f"({result!r})"
        )
    if isinstance(result, IngestReport):
        return (
            f"{what} cancelled: {result.messages} messages ({result.new_messages} new) recorded; "
            + _describe_blocks(result.blocks)
        )
    if isinstance(result, list):
        return f"{what} cancelled: " + _describe_blocks(result)
    if isinstance(result, BaseException):
        from . import WindowError

        # The core's errors carry the accounting; the window's own (store, signature) do not.
        if isinstance(result, WindowError) or not hasattr(result, "not_attempted"):
            return f"{what} cancelled; the call had failed: {result}"
        return _describe(what, result)
    return f"{what} cancelled after the call had finished: {result!r}"


class _Awaiting:
    """Runs a blocking call on a worker thread under its own ``CancelToken`` (see the module
    docstring): shared by ``AsyncClient``, ``AsyncFleet`` and ``AsyncWindow``."""

    _on_cancel: Optional[Any]

    async def _run(
        self,
        what: str,
        work: Callable[[], _T],
        token: CancelToken,
        on_cancel: Optional[Any],
        warn: bool,
    ) -> _T:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, work)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError as cancelled:
            token.cancel()
            hook = on_cancel if on_cancel is not None else self._on_cancel
            report = functools.partial(self._report, what, hook, warn)
            result: Union[_T, BaseException]
            try:
                result = await asyncio.shield(future)
            except asyncio.CancelledError:
                # Cancelled again while waiting: stop waiting; the report still happens.
                future.add_done_callback(report)
                raise
            except BaseException as error:  # the core's answer, normally CANCELLED
                result = error
            self._deliver(what, hook, warn, result)
            if isinstance(result, BaseException):
                cancelled.__cause__ = result
            raise cancelled

    def _report(
        self,
        what: str,
        hook: Optional[Any],
        warn: bool,
        future: asyncio.Future[Any],
    ) -> None:
        error = future.exception()
        self._deliver(what, hook, warn, error if error is not None else future.result())

    @staticmethod
    def _deliver(what: str, hook: Optional[Any], warn: bool, result: object) -> None:
        from . import WablockError

        _LOG.log(logging.WARNING if warn else logging.INFO, "%s", _describe(what, result))
        if hook is not None and isinstance(result, (Outcome, FleetResults, WablockError)):
            try:
                hook(result)
            except Exception:  # a broken hook must not hide the cancellation
                _LOG.exception("the on_cancel hook raised")



class AsyncClient(_Awaiting):
    """A client for one phone number's blocklist, for asyncio.

    The same constructors and keyword options as ``Client``, plus ``on_cancel``, the default
    hook of every call (see the module docstring). Calls may overlap: each runs on its own
    worker thread, and all share one connection pool.
    """

    _client: Client
    _on_cancel: Optional[OnCancel]

    def __init__(
        self,
        phone_number_id: str,
        access_token: str,
        *,
        on_cancel: Optional[OnCancel] = None,
        **options: Unpack[_ClientOptions],
    ) -> None:
        self._setup(Client(phone_number_id, access_token, **options), on_cancel)

    def _setup(self, client: Client, on_cancel: Optional[OnCancel]) -> None:
        self._client = client
        self._on_cancel = on_cancel

    @classmethod
    def _from(cls, client: Client, on_cancel: Optional[OnCancel]) -> Self:
        self = cls.__new__(cls)
        self._setup(client, on_cancel)
        return self

    @classmethod
    def meta(
        cls,
        phone_number_id: str,
        access_token: str,
        *,
        on_cancel: Optional[OnCancel] = None,
        **options: Unpack[_ClientOptions],
    ) -> Self:
        """A client for Meta's Cloud API (the same as ``AsyncClient(...)``)."""
        return cls._from(Client(phone_number_id, access_token, **options), on_cancel)

    @classmethod
    def dialog360(
        cls,
        api_key: str,
        *,
        on_cancel: Optional[OnCancel] = None,
        **options: Unpack[_ClientOptions],
    ) -> Self:
        """A client for 360dialog (one API key per phone number)."""
        return cls._from(Client.dialog360(api_key, **options), on_cancel)

    @classmethod
    def from_env(
        cls, *, on_cancel: Optional[OnCancel] = None, **options: Unpack[_ClientOptions]
    ) -> Self:
        """A client from the ``WABLOCK_*`` environment variables, then ``options``."""
        return cls._from(Client.from_env(**options), on_cancel)

    @classmethod
    def wrap(cls, client: Client, *, on_cancel: Optional[OnCancel] = None) -> Self:
        """An async view of an existing ``Client`` (same connection pool)."""
        return cls._from(client, on_cancel)

    @property
    def client(self) -> Client:
        """The blocking ``Client`` underneath (same connection pool)."""
        return self._client

    @property
    def provider(self) -> str:
        """``"meta"`` or ``"360dialog"``."""
        return self._client.provider

    @property
    def endpoint(self) -> str:
        """The ``block_users`` endpoint URL (holds no secret)."""
        return self._client.endpoint

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` ran."""
        return self._client.closed

    async def block(
        self,
        users: Iterable[str],
        *,
        on_progress: Optional[_ProgressCallback] = None,
        on_cancel: Optional[OnCancel] = None,
    ) -> Outcome:
        """Blocks ``users``; see ``Client.block``. ``on_progress`` runs on a worker thread."""
        return await self._mutate("block", users, on_progress, on_cancel)

    async def unblock(
        self,
        users: Iterable[str],
        *,
        on_progress: Optional[_ProgressCallback] = None,
        on_cancel: Optional[OnCancel] = None,
    ) -> Outcome:
        """Unblocks ``users``; see ``Client.unblock``."""
        return await self._mutate("unblock", users, on_progress, on_cancel)

    async def _mutate(
        self,
        operation: str,
        users: Iterable[str],
        on_progress: Optional[_ProgressCallback],
        on_cancel: Optional[OnCancel],
    ) -> Outcome:
        token = CancelToken()
        method = self._client.block if operation == "block" else self._client.unblock
        # A one-shot iterator is read here, on the loop's thread, like Client reads it.
        users = users if isinstance(users, (list, tuple, str)) else list(users)
        return await self._run(
            operation,
            lambda: method(users, on_progress=on_progress, cancel=token),
            token,
            on_cancel,
            warn=True,
        )

    async def list_page(
        self,
        limit: Optional[int] = None,
        after: Optional[str] = None,
        before: Optional[str] = None,
    ) -> Page:
        """One page of the blocklist; see ``Client.list_page``."""
        token = CancelToken()
        return await self._run(
            "list_page",
            lambda: self._client.list_page(limit, after, before, cancel=token),
            token,
            None,
            warn=False,
        )

    async def is_blocked(self, user: str) -> bool:
        """Whether ``user`` is blocked (walks the list; see ``Client.is_blocked``)."""
        token = CancelToken()
        return await self._run(
            "is_blocked",
            lambda: self._client.is_blocked(user, cancel=token),
            token,
            None,
            warn=False,
        )

    def blocked_users(self, page_size: Optional[int] = None) -> AsyncBlockedUsers:
        """Every blocked user, for ``async for``: one request per page, on a worker thread."""
        return AsyncBlockedUsers(self, page_size)

    async def aclose(self) -> None:
        """Drops the connection pool; later calls raise ``InvalidArgumentError``. Calls in
        flight finish."""
        self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return "Async" + repr(self._client)


class AsyncBlockedUsers:
    """The async iterator of ``AsyncClient.blocked_users``: yields each blocked user once.

    Cancelling the task awaiting the next user stops the walk (no new page is requested); the
    iterator then raises the core's ``CancelledError`` if iterated again.
    """

    def __init__(self, owner: AsyncClient, page_size: Optional[int]) -> None:
        self._owner = owner
        self._token = CancelToken()
        self._inner = owner.client.blocked_users(page_size, cancel=self._token)
        self._buffer: List[BlockedUser] = []
        self._done = False

    def __aiter__(self) -> AsyncIterator[BlockedUser]:
        return self

    async def __anext__(self) -> BlockedUser:
        if not self._buffer and not self._done:
            # One thread hop per page: the next user and every user read with it.
            chunk = await self._owner._run(
                "blocked_users", self._inner._next_chunk, self._token, None, warn=False
            )
            self._buffer = chunk[::-1]
            self._done = not chunk
        if self._buffer:
            return self._buffer.pop()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stops the walk: no further page is requested."""
        self._token.cancel()
        self._buffer = []
        self._done = True

    @property
    def restarts(self) -> int:
        """Restarts made so far after the list changed (139102)."""
        return self._inner.restarts

    @property
    def pages_requested(self) -> int:
        """Pages requested so far (restarts included)."""
        return self._inner.pages_requested


class AsyncFleet(_Awaiting):
    """The asyncio form of ``Fleet``: one call on several phone numbers, one result per number.

    Built from a ``Fleet`` (``AsyncFleet(fleet)``) or with ``AsyncFleet.meta(...)``. Each call
    runs the blocking fleet on a worker thread under a ``CancelToken`` of its own: when the
    awaiting task is cancelled, no number sends a new request, the task re-raises
    ``asyncio.CancelledError``, and the ``FleetResults`` the call ended with (each number's
    finished outcome, or its own ``CancelledError`` with its accounting) is logged and passed
    to ``on_cancel``.
    """

    _fleet: Fleet

    def __init__(self, fleet: Fleet, *, on_cancel: Optional[OnFleetCancel] = None) -> None:
        self._fleet = fleet
        self._on_cancel = on_cancel

    @classmethod
    def meta(
        cls,
        phone_number_ids: Sequence[str],
        access_token: str,
        *,
        total_parallelism: Optional[int] = None,
        on_cancel: Optional[OnFleetCancel] = None,
        **options: Unpack[_ClientOptions],
    ) -> Self:
        """A Meta fleet; see ``Fleet.meta``."""
        fleet = Fleet.meta(
            phone_number_ids, access_token, total_parallelism=total_parallelism, **options
        )
        return cls(fleet, on_cancel=on_cancel)

    @property
    def fleet(self) -> Fleet:
        """The blocking fleet underneath."""
        return self._fleet

    @property
    def labels(self) -> List[str]:
        """The labels, in fleet order."""
        return self._fleet.labels

    async def block(
        self,
        users: Iterable[str],
        *,
        numbers: Optional[Sequence[str]] = None,
        on_cancel: Optional[OnFleetCancel] = None,
    ) -> FleetResults:
        """Blocks ``users`` on every number (or those in ``numbers``); see ``Fleet.block``."""
        return await self._mutate("block", users, numbers, on_cancel)

    async def unblock(
        self,
        users: Iterable[str],
        *,
        numbers: Optional[Sequence[str]] = None,
        on_cancel: Optional[OnFleetCancel] = None,
    ) -> FleetResults:
        """Unblocks ``users`` on every number (or those in ``numbers``)."""
        return await self._mutate("unblock", users, numbers, on_cancel)

    async def _mutate(
        self,
        operation: str,
        users: Iterable[str],
        numbers: Optional[Sequence[str]],
        on_cancel: Optional[OnFleetCancel],
    ) -> FleetResults:
        token = CancelToken()
        method = self._fleet.block if operation == "block" else self._fleet.unblock
        users = users if isinstance(users, (list, tuple, str)) else list(users)
        return await self._run(
            f"fleet {operation}",
            lambda: method(users, numbers=numbers, cancel=token),
            token,
            on_cancel,
            warn=True,
        )

    async def is_blocked(
        self, user: str, *, numbers: Optional[Sequence[str]] = None
    ) -> FleetResults:
        """Whether ``user`` is on each number's blocklist."""
        token = CancelToken()
        return await self._run(
            "fleet is_blocked",
            lambda: self._fleet.is_blocked(user, numbers=numbers, cancel=token),
            token,
            None,
            warn=False,
        )

    async def blocked_users(
        self, page_size: Optional[int] = None, *, numbers: Optional[Sequence[str]] = None
    ) -> FleetBlocklist:
        """Every number's blocklist merged: each user once, with the numbers blocking them."""
        token = CancelToken()
        return await self._run(
            "fleet blocked_users",
            lambda: self._fleet.blocked_users(page_size, numbers=numbers, cancel=token),
            token,
            None,
            warn=False,
        )

    def __repr__(self) -> str:
        return f"AsyncFleet(labels={self._fleet.labels!r})"


class AsyncWindow(_Awaiting):
    """The asyncio form of ``Window``: blocks that wait for the 24-hour window.

    The same arguments as ``Window`` (``AsyncWindow(store, clients, app_secret=..., lease=...)``
    opens the store right away, on the calling thread; ``await AsyncWindow.open(...)`` opens it
    on a worker thread, for a PostgreSQL server across the network), or ``AsyncWindow.wrap``
    around an existing ``Window``, plus ``on_cancel``, the default hook of the calls that block
    or write the store. Every call runs the blocking ``Window`` on a worker thread of the loop's
    default executor, with the GIL released while it waits on the store or the network, so the
    loop never blocks; calls may overlap (the store serialises them).

    Each call that blocks (``block_when_possible``, ``ingest``, ``process_pending``) runs under
    a ``CancelToken`` of its own, cancelled when the awaiting task is cancelled, as
    ``AsyncClient`` does: ``block_when_possible`` starts no new batch and queues nothing (the
    core's ``CancelledError``, with ``partial`` and ``not_attempted`` accounting for every
    input); ``ingest`` and ``process_pending`` take up no further queued block (a block in
    flight ends, the rest stays queued for the next webhook or ``process_pending``). The task
    waits for the call to end, then re-raises ``asyncio.CancelledError``. What the call ended
    with is never lost: it is logged on the ``wablock`` logger at WARNING, passed to the
    ``on_cancel`` hook (the ``CancelledError``, or the ``WhenPossible``, ``IngestReport``,
    list of ``QueuedBlockResult`` or ``Cancelled`` it returned), and, when it is an error, it is
    the ``__cause__`` of the re-raised ``asyncio.CancelledError``. ``window``, ``pending`` and
    ``cancel_pending`` are single store operations: they finish (``cancel_pending``'s result is
    logged at WARNING and passed to the hook, the reads' at INFO).
    """

    _window: Window
    _on_cancel: Optional[OnWindowCancel]

    def __init__(
        self,
        store: Union[str, os.PathLike[str], None] = None,
        clients: Union[Mapping[str, Client], Iterable[Tuple[str, Client]], None] = None,
        *,
        app_secret: Union[str, bytes, None] = None,
        lease: Optional[float] = None,
        on_cancel: Optional[OnWindowCancel] = None,
    ) -> None:
        self._window = Window(store, clients, app_secret=app_secret, lease=lease)
        self._on_cancel = on_cancel

    @classmethod
    def wrap(cls, window: Window, *, on_cancel: Optional[OnWindowCancel] = None) -> Self:
        """An async view of an existing ``Window`` (the same store and clients)."""
        self = cls.__new__(cls)
        self._window = window
        self._on_cancel = on_cancel
        return self

    @classmethod
    async def open(
        cls,
        store: Union[str, os.PathLike[str], None] = None,
        clients: Union[Mapping[str, Client], Iterable[Tuple[str, Client]], None] = None,
        *,
        app_secret: Union[str, bytes, None] = None,
        lease: Optional[float] = None,
        on_cancel: Optional[OnWindowCancel] = None,
    ) -> Self:
        """Opens the store on a worker thread, then returns the ``AsyncWindow`` over it."""
        loop = asyncio.get_running_loop()
        # A one-shot iterator of pairs is read here, on the loop's thread.
        if clients is not None and not isinstance(clients, Mapping):
            clients = list(clients)
        window = await loop.run_in_executor(
            None, functools.partial(Window, store, clients, app_secret=app_secret, lease=lease)
        )
        return cls.wrap(window, on_cancel=on_cancel)

    @property
    def blocking(self) -> Window:
        """The blocking ``Window`` underneath (the same store and clients)."""
        return self._window

    @property
    def phone_number_ids(self) -> List[str]:
        """The phone number ids that have a client, sorted."""
        return self._window.phone_number_ids

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` ran."""
        return self._window.closed

    @staticmethod
    def _deliver(what: str, hook: Optional[Any], warn: bool, result: object) -> None:
        from . import WablockError

        _LOG.log(logging.WARNING if warn else logging.INFO, "%s", _describe_window(what, result))
        # Only the calls that block or write the store report to the hook (warn=True).
        if warn and hook is not None and isinstance(
            result, (WhenPossible, IngestReport, list, Cancelled, WablockError)
        ):
            try:
                hook(result)
            except Exception:  # a broken hook must not hide the cancellation
                _LOG.exception("the on_cancel hook raised")

    async def block_when_possible(
        self,
        phone_number_id: str,
        users: Iterable[str],
        *,
        on_cancel: Optional[OnWindowCancel] = None,
    ) -> WhenPossible:
        """Blocks ``users`` now and queues those refused with ``REENGAGEMENT_REQUIRED``; see
        ``Window.block_when_possible``. A cancelled task stops it before its next batch and
        queues nothing."""
        token = CancelToken()
        # A one-shot iterator is read here, on the loop's thread, like Window reads it.
        users = users if isinstance(users, (list, tuple, str)) else list(users)
        return await self._run(
            "block_when_possible",
            lambda: self._window.block_when_possible(phone_number_id, users, cancel=token),
            token,
            on_cancel,
            warn=True,
        )

    async def ingest(
        self,
        body: Union[bytes, bytearray],
        signature: Optional[str] = None,
        *,
        on_cancel: Optional[OnWindowCancel] = None,
    ) -> IngestReport:
        """Verifies, parses and records a webhook (the raw body as received), then blocks the
        queued users who wrote in; see ``Window.ingest``. A cancelled task takes up no further
        queued block."""
        token = CancelToken()
        return await self._run(
            "ingest",
            lambda: self._window.ingest(body, signature, cancel=token),
            token,
            on_cancel,
            warn=True,
        )

    async def window(self, phone_number_id: str, user: str) -> WindowState:
        """Whether ``user`` may be blocked on ``phone_number_id`` now (open until, closed
        since, or unknown); see ``Window.window``."""
        return await self._run(
            "window",
            lambda: self._window.window(phone_number_id, user),
            CancelToken(),
            None,
            warn=False,
        )

    async def pending(self) -> List[PendingBlock]:
        """Every queued block, oldest first; see ``Window.pending``."""
        return await self._run("pending", self._window.pending, CancelToken(), None, warn=False)

    async def cancel_pending(
        self,
        phone_number_id: str,
        users: Iterable[str],
        *,
        on_cancel: Optional[OnWindowCancel] = None,
    ) -> Cancelled:
        """Removes the queued blocks of ``users``; every input once in the ``Cancelled``."""
        users = users if isinstance(users, (list, tuple, str)) else list(users)
        return await self._run(
            "cancel_pending",
            lambda: self._window.cancel_pending(phone_number_id, users),
            CancelToken(),
            on_cancel,
            warn=True,
        )

    async def process_pending(
        self, *, on_cancel: Optional[OnWindowCancel] = None
    ) -> List[QueuedBlockResult]:
        """Blocks the queued users whose window is open, without a new webhook; see
        ``Window.process_pending``. A cancelled task takes up no further queued block."""
        token = CancelToken()
        return await self._run(
            "process_pending",
            lambda: self._window.process_pending(cancel=token),
            token,
            on_cancel,
            warn=True,
        )

    async def aclose(self) -> None:
        """Closes the store once calls in flight finish; later calls raise
        ``InvalidArgumentError``."""
        await asyncio.get_running_loop().run_in_executor(None, self._window.close)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return "Async" + repr(self._window)
