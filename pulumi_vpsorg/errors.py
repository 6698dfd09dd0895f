"""Exceptions raised by pulumi-vpsorg: one class per kind of failure.

Every message says what failed, what the API said (when it said anything) and what to do next.
No message ever contains the API token.
"""

from __future__ import annotations

from typing import Any

TOKEN_HINT = (
    "Check the API token: set VPSORG_TOKEN, or `pulumi config set --secret vpsorg:token <token>` "
    "for a Pulumi stack, or pass --token to the vpsorg command."
)


class VpsorgError(Exception):
    """Base class of every error raised by pulumi-vpsorg."""


class ConfigurationError(VpsorgError):
    """The provider or client is missing configuration (a token, a valid endpoint)."""


class APIError(VpsorgError):
    """The VPS.org API answered with an error status.

    Attributes:
        status_code: the HTTP status.
        api_message: what the API said, parsed from its error body (may be empty).
        body: the decoded JSON body, or the raw text when it was not JSON.
        retry_after: seconds from the ``Retry-After`` header, when the API sent one.
    """

    hint = "See the message above from VPS.org."

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
        self.retry_after = retry_after
        self.api_message = api_message
        self.method = method
        self.path = path
        self.body = body
        if hint is not None:
            self.hint = hint
        said = f": {api_message.rstrip('.')}" if api_message else ""
        where = f"{method} {path} " if method else ""
        super().__init__(message or f"VPS.org API {where}returned HTTP {status_code}{said}. {self.hint}")


class APIResponseValidationError(APIError):
    """VPS.org answered, but not as the API documents: not JSON, another shape, a pagination loop, too large.

    For a POST this means the request reached VPS.org and may have been carried out.
    """

    hint = "Check that the endpoint is the VPS.org API."

    def __init__(self, message: str, *, status_code: int = 200) -> None:
        super().__init__(status_code, "", message=message)


class BadRequestError(APIError):
    """HTTP 400: the API refused the parameters, or the resource is in the wrong state."""

    hint = "Fix the request as the API says and try again."


class SnapshotLimitError(BadRequestError):
    """The server already has the maximum number of snapshots (5 per server).

    ``existing`` lists the snapshots found on the server, when they could be listed.
    """

    existing: list[Any] = []

    hint = (
        "A server can hold at most 5 snapshots: delete one first (`vpsorg snapshots delete ID`), "
        "or use `delete_before_replace=True` when rotating a Snapshot resource."
    )


class AuthenticationError(APIError):
    """HTTP 401: the token is missing, invalid or revoked."""

    hint = TOKEN_HINT


class PermissionDeniedError(APIError):
    """HTTP 403: the token is valid but lacks the permission scope for this call."""

    hint = "The token lacks a permission this call needs: create a token with snapshot permissions."


class NotFoundError(APIError):
    """HTTP 404: the snapshot or server does not exist (or is not visible to this token)."""

    hint = "Check the id: `vpsorg snapshots list` shows the snapshots this token can see."


class RateLimitError(APIError):
    """HTTP 429: too many requests (retried automatically where safe)."""

    hint = "The API is rate limiting this token; wait a little and try again."


class ServerError(APIError):
    """HTTP 5xx: the API failed (retried automatically where safe)."""

    hint = "VPS.org had a problem; try again later."


class APIConnectionError(VpsorgError):
    """The request could not be completed: DNS, refused or dropped connection.

    ``maybe_sent`` is False only when the request provably never reached the server.
    """

    def __init__(self, message: str, *, maybe_sent: bool = True) -> None:
        self.maybe_sent = maybe_sent
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The API did not answer within the configured timeout."""


class SnapshotFailedError(VpsorgError):
    """A snapshot ended in a failure status (or vanished) while being waited for.

    ``snapshot`` is the last state seen (``None`` if it vanished before it was seen).
    """

    def __init__(self, message: str, snapshot: Any = None) -> None:
        self.snapshot = snapshot
        super().__init__(message)


class WaitTimeoutError(VpsorgError):
    """A wait ran out of time; ``last_seen`` is the last object seen (a snapshot or a server)."""

    def __init__(self, message: str, last_seen: Any = None) -> None:
        self.last_seen = last_seen
        super().__init__(message)
