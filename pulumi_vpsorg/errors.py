"""Exceptions raised by pulumi-vpsorg: one class per kind of failure, in the tree openai-python readers expect.

    VpsorgError
    ├── ConfigurationError               no token, a malformed token or endpoint
    ├── APIError                         anything that went wrong talking to VPS.org
    │   ├── APIStatusError               VPS.org answered with an error status
    │   │   ├── BadRequestError (400)  ── SnapshotLimitError
    │   │   ├── AuthenticationError (401), PermissionDeniedError (403), NotFoundError (404)
    │   │   └── RateLimitError (429), ServerError (5xx)
    │   ├── APIConnectionError           no answer: refused, dropped ── APITimeoutError
    │   └── APIResponseValidationError   an answer that is not what the API documents
    ├── SnapshotFailedError              a snapshot ended failed or vanished while waited for
    └── WaitTimeoutError                 a wait ran out of time

Every message says what failed, what the API said (when it said anything) and what to do next.
No message, and no attribute, ever contains the API token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .models import Server, Snapshot

TOKEN_HINT = "Check the API token: pass it as Client(token=...), or set VPSORG_TOKEN."
"""What to do about a missing or refused token, in the words of whoever built the client: this one for the library;
:data:`PULUMI_TOKEN_HINT` and :data:`CLI_TOKEN_HINT` for the resources and the command line (``Client(token_hint=)``).
"""
PULUMI_TOKEN_HINT = (
    "Check the API token: `pulumi config set --secret vpsorg:token <token>` (an explicit provider: its `token` "
    "input), or set VPSORG_TOKEN where `pulumi` runs."
)
CLI_TOKEN_HINT = "Check the API token: set VPSORG_TOKEN, or pass --token."


class VpsorgError(Exception):
    """Base class of every error raised by pulumi-vpsorg."""


class ConfigurationError(VpsorgError):
    """The provider or client is missing configuration (a token, a valid endpoint)."""


class APIError(VpsorgError):
    """Something went wrong talking to the VPS.org API (the base of status, connection and response errors).

    Attributes:
        method, path: the request, when known (``GET``, ``/snapshots/``).
        body: what the API sent back (decoded JSON or text; the token redacted), when it answered.
    """

    def __init__(self, message: str, *, method: str = "", path: str = "", body: Any = None) -> None:
        self.method = method
        self.path = path
        self.body = body
        super().__init__(message)


class APIStatusError(APIError):
    """The VPS.org API answered with an error status.

    Attributes:
        status_code: the HTTP status.
        api_message: what the API said, parsed from its error body (may be empty).
        retry_after: seconds from the ``Retry-After`` header, when the API sent one.
    """

    hint: ClassVar[str] = "See the message above from VPS.org."

    def __init__(
        self,
        status_code: int,
        api_message: str,
        *,
        method: str = "",
        path: str = "",
        body: Any = None,
        hint: str | None = None,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.api_message = api_message
        self.retry_after = retry_after
        said = f": {api_message.rstrip('.')}" if api_message else ""
        where = f"{method} {path} " if method else ""
        text = message or f"VPS.org API {where}returned HTTP {status_code}{said}. {hint or self.hint}"
        super().__init__(text, method=method, path=path, body=body)


class BadRequestError(APIStatusError):
    """HTTP 400: the API refused the parameters, or the resource is in the wrong state."""

    hint = "Fix the request as the API says and try again."


class SnapshotLimitError(BadRequestError):
    """The server already has the maximum number of snapshots (5 per server).

    ``existing`` lists the snapshots found on the server, when they could be listed; ``summary`` is the message
    without its hint, for callers that say what to do in their own terms (a CLI flag, a Pulumi option).
    """

    hint = (
        "A server can hold at most 5 snapshots: delete one first (`vpsorg snapshots delete ID --yes`), "
        "or use `delete_before_replace=True` when rotating a Snapshot resource."
    )

    def __init__(
        self, api_message: str, *, message: str, existing: Sequence[Snapshot] = (), hint: str | None = None
    ) -> None:
        self.existing: tuple[Snapshot, ...] = tuple(existing)
        self.summary = message
        text = f"{message} {hint or self.hint}"
        super().__init__(400, api_message, method="POST", path="/snapshots/", message=text)

    def with_hint(self, hint: str) -> SnapshotLimitError:
        """The same error, saying what to do in the caller's terms."""
        return SnapshotLimitError(self.api_message, message=self.summary, existing=self.existing, hint=hint)


class AuthenticationError(APIStatusError):
    """HTTP 401: the token is missing, invalid or revoked."""

    hint = TOKEN_HINT


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the token is valid but lacks the permission scope for this call."""

    hint = "The token lacks a permission this call needs: create a token with snapshot permissions."


class NotFoundError(APIStatusError):
    """HTTP 404: the snapshot or server does not exist (or is not visible to this token)."""

    hint = "Check the id: `vpsorg snapshots list` shows the snapshots this token can see."


class RateLimitError(APIStatusError):
    """HTTP 429: too many requests (retried automatically where safe)."""

    hint = "The API is rate limiting this token; wait a little and try again."


class ServerError(APIStatusError):
    """HTTP 5xx: the API failed (retried automatically where safe)."""

    hint = "VPS.org had a problem; try again later."


class APIConnectionError(APIError):
    """The request could not be completed: DNS, refused or dropped connection, an answer too large.

    ``maybe_sent`` is False only when the request provably never reached the server.
    """

    def __init__(self, message: str, *, maybe_sent: bool = True, method: str = "", path: str = "") -> None:
        self.maybe_sent = maybe_sent
        super().__init__(message, method=method, path=path)


class APITimeoutError(APIConnectionError):
    """The API did not answer within the time limit."""


class APIResponseValidationError(APIError):
    """VPS.org answered, but not as the API documents: not JSON, another shape, a pagination loop.

    For a POST this means the request reached VPS.org and may have been carried out.
    """

    def __init__(self, message: str, *, status_code: int = 200, method: str = "", path: str = "") -> None:
        self.status_code = status_code
        super().__init__(message, method=method, path=path)


class SnapshotFailedError(VpsorgError):
    """A snapshot ended in a failure status (or vanished) while being waited for.

    ``snapshot`` is the last state seen (``None`` if it vanished before it was seen).
    """

    def __init__(self, message: str, snapshot: Snapshot | None = None) -> None:
        self.snapshot = snapshot
        super().__init__(message)


class WaitTimeoutError(VpsorgError):
    """A wait ran out of time; ``last_seen`` is the last object seen (a snapshot or a server)."""

    def __init__(self, message: str, last_seen: Snapshot | Server | None = None) -> None:
        self.last_seen = last_seen
        super().__init__(message)
