# Type stubs for the extension module (python/src/lib.rs). Hand-written: keep in step.
from typing import Any, Callable, Iterable, Iterator, Optional

from wablock import Reason

VERSION: str
DEFAULT_API_VERSION: str
MAX_BATCH: int
MAX_PARALLELISM: int
REASONS: list[tuple[str, str]]
ERROR_KINDS: list[tuple[int, str]]

def canonical_json(text: str) -> str:
    """Canonical JSON text (keys sorted, compact) of a JSON document given as text."""

ProgressCallback = Callable[[int, int], object]

class ErrorInfo:
    """The core error behind a ``WablockError`` (its ``_info``)."""

    def __init__(self, kind: str, message: str) -> None: ...
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

class Outcome:
    """What happened to each input: every input is in ``succeeded`` or ``failed``, once."""

    @property
    def operation(self) -> str:
        """``"block"`` or ``"unblock"``."""
    @property
    def succeeded(self) -> list[Success]: ...
    @property
    def failed(self) -> list[Failure]: ...
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

class BlockedUser:
    """A blocked user: a WA ID, a business-scoped user ID, or both."""

    @property
    def wa_id(self) -> Optional[str]: ...
    @property
    def user_id(self) -> Optional[str]: ...
    def __hash__(self) -> int: ...

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

class BlockedUsers(Iterator[BlockedUser]):
    """Lazy iterator over the blocklist; holds one page at a time."""

    def __iter__(self) -> BlockedUsers: ...
    def __next__(self) -> BlockedUser: ...
    @property
    def pages_requested(self) -> int: ...
    @property
    def restarts(self) -> int: ...

class Client:
    """A client for one phone number's blocklist. Safe to share between threads."""

    def __init__(
        self,
        phone_number_id: str,
        access_token: str,
        *,
        api_version: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        retries: Optional[int] = None,
        max_attempts: Optional[int] = None,
        retry_backoff: Optional[float] = None,
        retry_max_backoff: Optional[float] = None,
        retry_jitter: Optional[bool] = None,
        parallelism: Optional[int] = None,
        max_batch: Optional[int] = None,
        allow_insecure_http: Optional[bool] = None,
        max_response_bytes: Optional[int] = None,
        list_restart_budget: Optional[int] = None,
    ) -> None: ...
    @staticmethod
    def dialog360(
        api_key: str,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        retries: Optional[int] = None,
        max_attempts: Optional[int] = None,
        retry_backoff: Optional[float] = None,
        retry_max_backoff: Optional[float] = None,
        retry_jitter: Optional[bool] = None,
        parallelism: Optional[int] = None,
        max_batch: Optional[int] = None,
        allow_insecure_http: Optional[bool] = None,
        max_response_bytes: Optional[int] = None,
        list_restart_budget: Optional[int] = None,
    ) -> Client: ...
    @staticmethod
    def from_env(
        *,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        retries: Optional[int] = None,
        max_attempts: Optional[int] = None,
        retry_backoff: Optional[float] = None,
        retry_max_backoff: Optional[float] = None,
        retry_jitter: Optional[bool] = None,
        parallelism: Optional[int] = None,
        max_batch: Optional[int] = None,
        allow_insecure_http: Optional[bool] = None,
        max_response_bytes: Optional[int] = None,
        list_restart_budget: Optional[int] = None,
    ) -> Client: ...
    @property
    def provider(self) -> str:
        """``"meta"`` or ``"360dialog"``."""
    @property
    def endpoint(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def block(
        self, users: Iterable[str], *, on_progress: Optional[ProgressCallback] = None
    ) -> Outcome: ...
    def unblock(
        self, users: Iterable[str], *, on_progress: Optional[ProgressCallback] = None
    ) -> Outcome: ...
    def list_page(
        self,
        limit: Optional[int] = None,
        after: Optional[str] = None,
        before: Optional[str] = None,
    ) -> Page: ...
    def blocked_users(self, page_size: Optional[int] = None) -> BlockedUsers: ...
    def is_blocked(self, user: str) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Client: ...
    def __exit__(self, *args: object) -> bool: ...
