# Type stubs for the extension module (python/src/*.rs). Hand-written; `make python-test`
# checks them against the built module with mypy.stubtest.
import datetime
import os
from typing import (
    Any,
    Callable,
    Iterable,
    Iterator,
    Literal,
    Mapping,
    Optional,
    Sequence,
    TypedDict,
    Union,
    final,
)

from typing_extensions import Unpack

from wablock import Reason, WablockError

__all__ = [
    "BlockedUser",
    "BlockedUsers",
    "CancelToken",
    "Cancelled",
    "Client",
    "DEFAULT_API_VERSION",
    "ERROR_KINDS",
    "ErrorInfo",
    "Failure",
    "Fleet",
    "FleetBlockedUser",
    "FleetBlocklist",
    "FleetEntry",
    "FleetResults",
    "IngestReport",
    "MAX_BATCH",
    "MAX_PARALLELISM",
    "Outcome",
    "Page",
    "PendingBlock",
    "QueuedBlockResult",
    "REASONS",
    "Success",
    "VERSION",
    "WhenPossible",
    "Window",
    "WindowState",
    "blocked_users_canonical_json",
    "canonical_json",
    "is_blocked_canonical_json",
    "window_error_json",
]

VERSION: str
DEFAULT_API_VERSION: str
MAX_BATCH: int
MAX_PARALLELISM: int
REASONS: list[tuple[str, str]]
ERROR_KINDS: list[tuple[int, str]]

def canonical_json(text: str) -> str:
    """Canonical JSON text (keys sorted, compact) of a JSON document given as text."""

def blocked_users_canonical_json(
    users: Sequence[BlockedUser], error: Optional[WablockError] = None
) -> str:
    """The core's ``{"blocked_users": {"users": [...], "error": ...}}`` of a whole walk."""

def is_blocked_canonical_json(blocked: bool) -> str:
    """The core's ``{"is_blocked": ...}``."""

def window_error_json(kind: str, message: str) -> str:
    """The window crate's ``{"error": ...}`` for a window error of ``kind`` with ``message``."""

class _ClientOptions(TypedDict, total=False):
    """The keyword options of every ``Client`` constructor: the core's settings, durations in
    seconds. Unset means the core's default."""

    base_url: Optional[str]
    api_version: Optional[str]
    connect_timeout: Optional[float]
    read_timeout: Optional[float]
    deadline: Optional[float]
    max_attempts: Optional[int]
    initial_backoff: Optional[float]
    max_backoff: Optional[float]
    jitter: Optional[bool]
    max_batch: Optional[int]
    parallelism: Optional[int]
    allow_insecure_http: Optional[bool]
    max_response_bytes: Optional[int]
    list_restart_budget: Optional[int]

_ProgressCallback = Callable[[int, int], object]

@final
class ErrorInfo:
    """The core error behind a ``WablockError`` (its ``_info``)."""

    def __new__(cls, kind: str, message: str) -> ErrorInfo: ...
    @property
    def kind(self) -> str: ...
    @property
    def kind_code(self) -> int: ...
    @property
    def message(self) -> str: ...
    @property
    def display(self) -> str: ...
    @property
    def http_status(self) -> Optional[int]: ...
    @property
    def code(self) -> Optional[int]: ...
    @property
    def subcode(self) -> Optional[int]: ...
    @property
    def details(self) -> Optional[str]: ...
    @property
    def fbtrace_id(self) -> Optional[str]: ...
    @property
    def retryable(self) -> bool: ...
    @property
    def retry_after(self) -> Optional[float]: ...
    @property
    def partial(self) -> Optional[Outcome]: ...
    @property
    def not_attempted(self) -> list[str]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Success:
    """A user the server confirmed."""

    @property
    def input(self) -> str:
        """The caller's string, exactly as passed."""
    @property
    def sent(self) -> str:
        """What was sent for it after normalisation."""
    @property
    def wa_id(self) -> Optional[str]: ...
    @property
    def user_id(self) -> Optional[str]: ...

@final
class Failure:
    """A user that was not blocked or unblocked, and why."""

    @property
    def input(self) -> str: ...
    @property
    def sent(self) -> Optional[str]:
        """None when the user was never sent (``Reason.INVALID_USER``)."""
    @property
    def wa_id(self) -> Optional[str]: ...
    @property
    def user_id(self) -> Optional[str]: ...
    @property
    def reason(self) -> Reason: ...
    @property
    def code(self) -> Optional[int]:
        """The server's error code, when the server refused the user."""
    @property
    def message(self) -> str: ...
    @property
    def details(self) -> Optional[str]: ...
    @property
    def hint(self) -> str:
        """One plain-language sentence a support agent can show a person."""

@final
class Outcome:
    """What happened to each input: every input is in ``succeeded`` or ``failed``, once."""

    @property
    def operation(self) -> str:
        """``"block"`` or ``"unblock"``."""
    @property
    def succeeded(self) -> Sequence[Success]:
        """The confirmed users, in input order: a read-only sequence (``len``, indexing, slices
        as lists, iteration, ``==`` with a list), each entry made when first read and then the
        same object; ``list(outcome.succeeded)`` gives a list."""
    @property
    def failed(self) -> Sequence[Failure]:
        """The users not blocked or unblocked, in input order: a read-only sequence like
        ``succeeded``."""
    @property
    def requests(self) -> int:
        """HTTP requests made, retries included."""
    @property
    def ok(self) -> bool:
        """True when every input succeeded."""
    def __len__(self) -> int: ...
    def to_json(self) -> str:
        """``{"outcome": {...}}`` as canonical JSON text (docs/behaviour.md §5)."""
    def to_dict(self) -> dict[str, Any]:
        """``json.loads(self.to_json())``."""

@final
class BlockedUser:
    """A blocked user: a WA ID, a business-scoped user ID, or both."""

    @property
    def wa_id(self) -> Optional[str]: ...
    @property
    def user_id(self) -> Optional[str]: ...
    def __hash__(self) -> int: ...

@final
class Page:
    """One page of the blocklist."""

    @property
    def users(self) -> list[BlockedUser]: ...
    @property
    def after(self) -> Optional[str]: ...
    @property
    def before(self) -> Optional[str]: ...
    @property
    def has_more(self) -> bool: ...
    def __len__(self) -> int: ...
    def to_json(self) -> str:
        """``{"page": {...}}`` as canonical JSON text (docs/behaviour.md §5)."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class BlockedUsers(Iterator[BlockedUser]):
    """Lazy iterator over the blocklist; holds one page at a time."""

    def __iter__(self) -> BlockedUsers: ...
    def __next__(self) -> BlockedUser: ...
    def _next_chunk(self) -> list[BlockedUser]:
        """The next user and every user already read with it; empty at the end."""
    @property
    def pages_requested(self) -> int: ...
    @property
    def restarts(self) -> int: ...

@final
class CancelToken:
    """Stops the calls it is passed to (``cancel=``) when ``cancel()`` runs, from any thread:
    no new batch, page or retry starts; requests in flight finish; the call raises
    ``CancelledError`` with ``partial`` and ``not_attempted``. It never resets."""

    def __new__(cls) -> CancelToken: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

@final
class Client:
    """A client for one phone number's blocklist. Safe to share between threads."""

    def __new__(
        cls, phone_number_id: str, access_token: str, **options: Unpack[_ClientOptions]
    ) -> Client: ...
    @staticmethod
    def dialog360(api_key: str, **options: Unpack[_ClientOptions]) -> Client: ...
    @staticmethod
    def from_env(**options: Unpack[_ClientOptions]) -> Client: ...
    @property
    def provider(self) -> str:
        """``"meta"`` or ``"360dialog"``."""
    @property
    def endpoint(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def block(
        self,
        users: Iterable[str],
        *,
        on_progress: Optional[_ProgressCallback] = None,
        cancel: Optional[CancelToken] = None,
    ) -> Outcome: ...
    def unblock(
        self,
        users: Iterable[str],
        *,
        on_progress: Optional[_ProgressCallback] = None,
        cancel: Optional[CancelToken] = None,
    ) -> Outcome: ...
    def list_page(
        self,
        limit: Optional[int] = None,
        after: Optional[str] = None,
        before: Optional[str] = None,
        *,
        cancel: Optional[CancelToken] = None,
    ) -> Page: ...
    def blocked_users(
        self, page_size: Optional[int] = None, *, cancel: Optional[CancelToken] = None
    ) -> BlockedUsers: ...
    def is_blocked(self, user: str, *, cancel: Optional[CancelToken] = None) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Client: ...
    def __exit__(self, *args: object) -> bool: ...

@final
class FleetEntry:
    """One number's result: its own outcome (block, unblock), its own answer (is_blocked), or
    its own error (a ``WablockError`` with its own accounting)."""

    @property
    def label(self) -> str: ...
    @property
    def outcome(self) -> Optional[Outcome]: ...
    @property
    def is_blocked(self) -> Optional[bool]: ...
    @property
    def error(self) -> Optional[WablockError]: ...

@final
class FleetResults:
    """One entry per number, in fleet order; ``results[label]`` is that number's entry."""

    @property
    def entries(self) -> list[FleetEntry]: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def ok(self) -> bool:
        """Block/unblock: every number's call finished and refused nobody; is_blocked: every
        number answered."""
    def to_json(self) -> str:
        """``{"fleet": {"<label>": {...}}}`` as canonical JSON text (docs/fleet.md)."""
    def __len__(self) -> int: ...
    def __getitem__(self, label: str) -> FleetEntry: ...
    def __contains__(self, label: str) -> bool: ...

@final
class FleetBlockedUser:
    """A user on one or more of the fleet's blocklists."""

    @property
    def user(self) -> BlockedUser: ...
    @property
    def wa_id(self) -> Optional[str]: ...
    @property
    def user_id(self) -> Optional[str]: ...
    @property
    def blocked_on(self) -> list[str]:
        """The labels of the numbers that block the user, in fleet order."""

@final
class FleetBlocklist:
    """The merged walk: each user once, and the numbers whose walk failed."""

    @property
    def users(self) -> list[FleetBlockedUser]: ...
    @property
    def errors(self) -> dict[str, WablockError]: ...
    def to_json(self) -> str:
        """``{"fleet_blocked_users": {...}}`` as canonical JSON text (docs/fleet.md)."""
    def __len__(self) -> int: ...

@final
class Fleet:
    """One call on several phone numbers of a business; one result per number."""

    def __new__(
        cls,
        numbers: Union[Mapping[str, Client], Iterable[tuple[str, Client]]],
        *,
        total_parallelism: Optional[int] = None,
    ) -> Fleet: ...
    @staticmethod
    def meta(
        phone_number_ids: Sequence[str],
        access_token: str,
        *,
        total_parallelism: Optional[int] = None,
        **options: Unpack[_ClientOptions],
    ) -> Fleet: ...
    @property
    def labels(self) -> list[str]: ...
    def block(
        self,
        users: Iterable[str],
        *,
        numbers: Optional[Sequence[str]] = None,
        cancel: Optional[CancelToken] = None,
    ) -> FleetResults: ...
    def unblock(
        self,
        users: Iterable[str],
        *,
        numbers: Optional[Sequence[str]] = None,
        cancel: Optional[CancelToken] = None,
    ) -> FleetResults: ...
    def is_blocked(
        self,
        user: str,
        *,
        numbers: Optional[Sequence[str]] = None,
        cancel: Optional[CancelToken] = None,
    ) -> FleetResults: ...
    def blocked_users(
        self,
        page_size: Optional[int] = None,
        *,
        numbers: Optional[Sequence[str]] = None,
        cancel: Optional[CancelToken] = None,
    ) -> FleetBlocklist: ...

@final
class WindowState:
    """Whether a user may be blocked right now, as far as the recorded webhooks tell."""

    @property
    def state(self) -> Literal["open", "closed", "unknown"]: ...
    @property
    def is_open(self) -> bool: ...
    @property
    def open_until(self) -> Optional[datetime.datetime]:
        """Aware UTC; set only when ``state == "open"``."""
    @property
    def closed_since(self) -> Optional[datetime.datetime]:
        """Aware UTC; set only when ``state == "closed"``."""
    def __eq__(self, other: object) -> bool: ...
    __hash__: None  # type: ignore[assignment]

@final
class WhenPossible:
    """The result of ``Window.block_when_possible``."""

    @property
    def outcome(self) -> Outcome: ...
    @property
    def queued(self) -> list[str]:
        """The inputs queued (refused with ``REENGAGEMENT_REQUIRED``), in input order."""
    def to_json(self) -> str:
        """``{"outcome": {...}, "queued": [...]}`` as canonical JSON text."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class QueuedBlockResult:
    """What happened to one queued block that ``ingest`` or ``process_pending`` took up."""

    @property
    def phone_number_id(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def input(self) -> str: ...
    @property
    def still_pending(self) -> bool: ...
    @property
    def outcome(self) -> Optional[Outcome]: ...
    @property
    def error(self) -> Optional[WablockError]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class IngestReport:
    """The result of ``Window.ingest``."""

    @property
    def messages(self) -> int: ...
    @property
    def new_messages(self) -> int: ...
    @property
    def blocks(self) -> list[QueuedBlockResult]: ...
    def to_json(self) -> str:
        """``{"ingest": {"messages", "new_messages", "blocks": [...]}}`` as canonical JSON."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class PendingBlock:
    """A queued block, waiting for the user to write in."""

    @property
    def phone_number_id(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def input(self) -> str: ...
    @property
    def created_at(self) -> datetime.datetime: ...
    @property
    def claim_owner(self) -> Optional[str]: ...
    @property
    def claimed_until(self) -> Optional[datetime.datetime]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Cancelled:
    """The result of ``Window.cancel_pending``: every input exactly once."""

    @property
    def cancelled(self) -> list[str]: ...
    @property
    def not_pending(self) -> list[str]: ...
    @property
    def invalid(self) -> list[tuple[str, str]]: ...
    def __len__(self) -> int: ...

@final
class Window:
    """Pending blocks, the 24-hour window and webhook ingest over one store (SQLite or
    PostgreSQL). Safe to share between threads."""

    def __new__(
        cls,
        store: Union[str, os.PathLike[str], None] = None,
        clients: Union[Mapping[str, Client], Iterable[tuple[str, Client]], None] = None,
        *,
        app_secret: Union[str, bytes, None] = None,
        lease: Optional[float] = None,
    ) -> Window: ...
    @property
    def phone_number_ids(self) -> list[str]: ...
    @property
    def is_postgres(self) -> bool: ...
    @property
    def closed(self) -> bool: ...
    def block_when_possible(
        self,
        phone_number_id: str,
        users: Iterable[str],
        *,
        cancel: Optional[CancelToken] = None,
    ) -> WhenPossible: ...
    def ingest(
        self,
        body: Union[bytes, bytearray],
        signature: Optional[str] = None,
        *,
        cancel: Optional[CancelToken] = None,
    ) -> IngestReport: ...
    def window(self, phone_number_id: str, user: str) -> WindowState: ...
    def pending(self) -> list[PendingBlock]: ...
    def cancel_pending(self, phone_number_id: str, users: Iterable[str]) -> Cancelled: ...
    def process_pending(
        self, *, cancel: Optional[CancelToken] = None
    ) -> list[QueuedBlockResult]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Window: ...
    def __exit__(self, *args: object) -> bool: ...
