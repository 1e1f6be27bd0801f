"""wablock: block, unblock and list the users blocked on a WhatsApp Business phone number.

A thin layer over the Rust core ``wablock``: every message, hint, reason, error kind and JSON
shape comes from the core, so Python behaves exactly like every other language wablock
supports. See the README for a tour.
"""

from __future__ import annotations

import builtins
import enum
import json
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional

from . import _wablock
from ._wablock import (
    DEFAULT_API_VERSION,
    MAX_BATCH,
    MAX_PARALLELISM,
    BlockedUser,
    BlockedUsers,
    CancelToken,
    Client,
    Failure,
    Cancelled,
    Fleet,
    FleetResults,
    IngestReport,
    Outcome,
    Page,
    PendingBlock,
    QueuedBlockResult,
    Success,
    WhenPossible,
    Window,
    WindowState,
)

if TYPE_CHECKING:
    from ._wablock import ErrorInfo

__version__: str = _wablock.VERSION

__all__ = [
    "DEFAULT_API_VERSION",
    "MAX_BATCH",
    "MAX_PARALLELISM",
    "AsyncBlockedUsers",
    "AsyncClient",
    "AsyncFleet",
    "AsyncWindow",
    "AuthError",
    "BlockedUser",
    "BlockedUsers",
    "BlocklistFullError",
    "CancelToken",
    "Cancelled",
    "CancelledError",
    "Client",
    "ConcurrentUpdateError",
    "ErrorKind",
    "Failure",
    "Fleet",
    "FleetResults",
    "IngestReport",
    "InternalError",
    "InvalidArgumentError",
    "MalformedPayloadError",
    "NetworkError",
    "OnCancel",
    "OnFleetCancel",
    "OnWindowCancel",
    "Outcome",
    "Page",
    "PendingBlock",
    "ProtocolError",
    "QueuedBlockResult",
    "RateLimitError",
    "Reason",
    "RejectedError",
    "ServerError",
    "SignatureError",
    "StoreError",
    "Success",
    "TimeoutError",
    "WablockError",
    "WhenPossible",
    "Window",
    "WindowError",
    "WindowErrorKind",
    "WindowState",
    "__version__",
]


class Reason(str, enum.Enum):
    """Why one user was not blocked or unblocked (``Failure.reason``)."""

    REENGAGEMENT_REQUIRED = "REENGAGEMENT_REQUIRED"
    SELF_BLOCK = "SELF_BLOCK"
    BLOCKLIST_FULL = "BLOCKLIST_FULL"
    RATE_LIMITED = "RATE_LIMITED"
    SERVER = "SERVER"
    INVALID_USER = "INVALID_USER"
    UNCONFIRMED = "UNCONFIRMED"
    OTHER = "OTHER"

    @property
    def hint(self) -> str:
        """The core's plain-language hint for this reason."""
        return _HINTS[self.value]

    def __str__(self) -> str:
        return self.value


_HINTS: Dict[str, str] = dict(_wablock.REASONS)


class ErrorKind(str, enum.Enum):
    """The kind of a failed call (docs/behaviour.md §3.2); ``code`` is the fixed C status number."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    AUTH = "AUTH"
    RATE_LIMITED = "RATE_LIMITED"
    BLOCKLIST_FULL = "BLOCKLIST_FULL"
    CONCURRENT_UPDATE = "CONCURRENT_UPDATE"
    SERVER = "SERVER"
    REJECTED = "REJECTED"
    NETWORK = "NETWORK"
    TIMEOUT = "TIMEOUT"
    PROTOCOL = "PROTOCOL"
    INTERNAL = "INTERNAL"
    CANCELLED = "CANCELLED"

    @property
    def code(self) -> int:
        """The fixed numeric code (1 to 12)."""
        return _KIND_CODES[self.value]

    def __str__(self) -> str:
        return self.value


_KIND_CODES: Dict[str, int] = {name: code for code, name in _wablock.ERROR_KINDS}


class WablockError(Exception):
    """A call that failed as a whole. Subclasses name the kind; the attributes say the rest.

    Every input is still accounted for: users whose batch finished are in ``partial``, the
    others in ``not_attempted``.
    """

    _KIND: ClassVar[ErrorKind] = ErrorKind.INTERNAL

    kind: ErrorKind
    message: str
    http_status: Optional[int]
    code: Optional[int]
    subcode: Optional[int]
    details: Optional[str]
    fbtrace_id: Optional[str]
    retryable: bool
    retry_after: Optional[float]
    partial: Optional[Outcome]
    not_attempted: List[str]

    def __init__(self, message: str = "", *, _info: Optional[ErrorInfo] = None) -> None:
        # wablock raises these with the core's error in `_info`; an error built by hand
        # (in a test double, say) gets a bare core error of the class's kind.
        info = _info if _info is not None else _wablock.ErrorInfo(self._KIND.value, message)
        super().__init__(info.display)
        self._info = info
        self.kind = ErrorKind(info.kind)
        self.message = info.message
        self.http_status = info.http_status
        self.code = info.code
        self.subcode = info.subcode
        self.details = info.details
        self.fbtrace_id = info.fbtrace_id
        self.retryable = info.retryable
        self.retry_after = info.retry_after
        self.partial = info.partial
        self.not_attempted = info.not_attempted

    def to_json(self) -> str:
        """``{"error": {...}}`` as the core's canonical JSON text (docs/behaviour.md §5)."""
        return self._info.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """The canonical JSON as a dict: ``json.loads(self.to_json())``."""
        return self._info.to_dict()


class InvalidArgumentError(WablockError, ValueError):
    """A caller error found before any request (``INVALID_ARGUMENT``)."""

    _KIND = ErrorKind.INVALID_ARGUMENT


class AuthError(WablockError):
    """The token or API key was refused (``AUTH``)."""

    _KIND = ErrorKind.AUTH


class RateLimitError(WablockError):
    """Throttled, and still throttled when the retry budget ran out (``RATE_LIMITED``)."""

    _KIND = ErrorKind.RATE_LIMITED


class BlocklistFullError(WablockError):
    """The blocklist holds 64,000 users already (``BLOCKLIST_FULL``)."""

    _KIND = ErrorKind.BLOCKLIST_FULL


class ConcurrentUpdateError(WablockError):
    """The blocklist kept changing while it was listed (``CONCURRENT_UPDATE``)."""

    _KIND = ErrorKind.CONCURRENT_UPDATE


class ServerError(WablockError):
    """Meta's side failed, and kept failing through the retries (``SERVER``)."""

    _KIND = ErrorKind.SERVER


class RejectedError(WablockError):
    """The API refused the request with another error code (``REJECTED``)."""

    _KIND = ErrorKind.REJECTED


class NetworkError(WablockError, ConnectionError):
    """DNS, connect, reset or TLS failure (``NETWORK``)."""

    _KIND = ErrorKind.NETWORK


class TimeoutError(WablockError, builtins.TimeoutError):  # noqa: A001 - the documented name
    """A connect, read or overall deadline passed (``TIMEOUT``)."""

    _KIND = ErrorKind.TIMEOUT


class ProtocolError(WablockError):
    """A response that cannot be interpreted (``PROTOCOL``)."""

    _KIND = ErrorKind.PROTOCOL


class InternalError(WablockError):
    """A bug in wablock (``INTERNAL``)."""

    _KIND = ErrorKind.INTERNAL


class CancelledError(WablockError):
    """The caller stopped the call (``CANCELLED``): its ``CancelToken`` was cancelled (an
    ``AsyncClient`` call whose task was cancelled) or its progress callback asked to stop.
    ``partial`` and ``not_attempted`` still account for every input."""

    _KIND = ErrorKind.CANCELLED


# The one table from error kind to class; the extension raises through `_from_core`.
_CLASS_BY_KIND: Dict[str, type[WablockError]] = {
    cls._KIND.value: cls
    for cls in (
        InvalidArgumentError,
        AuthError,
        RateLimitError,
        BlocklistFullError,
        ConcurrentUpdateError,
        ServerError,
        RejectedError,
        NetworkError,
        TimeoutError,
        ProtocolError,
        InternalError,
        CancelledError,
    )
}


def _from_core(info: ErrorInfo) -> WablockError:
    """The exception for a core error (called by the extension)."""
    return _CLASS_BY_KIND[info.kind](_info=info)


class WindowErrorKind(str, enum.Enum):
    """The kind of a failed ``Window`` call: the ``wablock-window`` crate's error kinds.

    ``INVALID_ARGUMENT`` is raised as ``InvalidArgumentError`` and ``BLOCK`` as the core's own
    exception (``AuthError``, ...); the other three are ``WindowError`` subclasses.
    """

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    SIGNATURE = "SIGNATURE"
    MALFORMED = "MALFORMED"
    STORE = "STORE"
    BLOCK = "BLOCK"

    def __str__(self) -> str:
        return self.value


class WindowError(WablockError):
    """A ``Window`` call that failed on the window's side: the webhook's signature
    (``SignatureError``), its payload (``MalformedPayloadError``) or the store (``StoreError``).

    ``kind`` is a ``WindowErrorKind``; ``str(e)`` is the crate's text (``SIGNATURE: ...``),
    which never holds the app secret or a database password. No block was attempted, so
    ``partial`` is None and ``not_attempted`` is empty.
    """

    _WINDOW_KIND: ClassVar[WindowErrorKind] = WindowErrorKind.STORE

    kind: WindowErrorKind  # type: ignore[assignment]

    def __init__(
        self, message: str = "", *, _kind: Optional[str] = None, _display: Optional[str] = None
    ) -> None:
        kind = WindowErrorKind(_kind) if _kind is not None else self._WINDOW_KIND
        Exception.__init__(self, _display if _display is not None else f"{kind.value}: {message}")
        self._info = None  # type: ignore[assignment]
        self.kind = kind
        self.message = message
        self.http_status = None
        self.code = None
        self.subcode = None
        self.details = None
        self.fbtrace_id = None
        self.retryable = False
        self.retry_after = None
        self.partial = None
        self.not_attempted = []

    def to_json(self) -> str:
        """``{"error": {...}}`` as the window crate's canonical JSON text: the core's error
        shape (``kind``, ``message``, the HTTP fields as null, ``not_attempted`` empty)."""
        return _wablock.window_error_json(self.kind.value, self.message)

    def to_dict(self) -> Dict[str, Any]:
        """The canonical JSON as a dict: ``json.loads(self.to_json())``."""
        result: Dict[str, Any] = json.loads(self.to_json())
        return result


class SignatureError(WindowError):
    """The webhook's ``X-Hub-Signature-256`` is missing, unreadable or does not match the raw
    body under the app secret (``SIGNATURE``). Nothing of the payload was recorded."""

    _WINDOW_KIND = WindowErrorKind.SIGNATURE


class MalformedPayloadError(WindowError):
    """The webhook body is not a WhatsApp Business webhook payload (``MALFORMED``); the
    message says exactly where. Nothing of it was recorded."""

    _WINDOW_KIND = WindowErrorKind.MALFORMED


class StoreError(WindowError):
    """The store (SQLite or PostgreSQL) failed (``STORE``); the message says which operation.
    A dropped PostgreSQL connection is reopened by the next call."""

    _WINDOW_KIND = WindowErrorKind.STORE


# The window's kinds raised as WindowError subclasses (the others map to the core's classes).
_WINDOW_CLASS_BY_KIND: Dict[str, type[WindowError]] = {
    cls._WINDOW_KIND.value: cls for cls in (SignatureError, MalformedPayloadError, StoreError)
}


def _from_window(kind: str, message: str, display: str) -> WindowError:
    """The exception for a window error of ``kind`` (called by the extension)."""
    return _WINDOW_CLASS_BY_KIND[kind](message, _kind=kind, _display=display)


# The asyncio layer is imported on first use: importing asyncio (and ssl with it) costs about
# 25 ms and several MiB, which a program that never touches the async classes should not pay.
_ASYNC_NAMES = frozenset(
    {"AsyncBlockedUsers", "AsyncClient", "AsyncFleet", "AsyncWindow", "OnCancel", "OnFleetCancel",
     "OnWindowCancel"}
)

if TYPE_CHECKING:
    from ._async import (
        AsyncBlockedUsers,
        AsyncClient,
        AsyncFleet,
        AsyncWindow,
        OnCancel,
        OnFleetCancel,
        OnWindowCancel,
    )


def __getattr__(name: str) -> Any:
    if name in _ASYNC_NAMES:
        from . import _async

        value = getattr(_async, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wablock' has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | _ASYNC_NAMES)
