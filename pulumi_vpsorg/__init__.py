"""pulumi-vpsorg: manage VPS.org server snapshots from Pulumi programs.

    from pulumi_vpsorg import Snapshot, SnapshotRestore

Importing this package registers nothing and connects nowhere. The resources (and so ``pulumi``) load on first
use, so the ``vpsorg`` command line and plain API scripts start fast.
"""

from typing import TYPE_CHECKING, Any

from .client import DEFAULT_ENDPOINT, Client, __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SnapshotFailedError,
    SnapshotLimitError,
    VpsorgError,
    WaitTimeoutError,
)
from .models import RestoreResponse, Server, Snapshot as SnapshotInfo, SnapshotCreated

if TYPE_CHECKING:
    from .restore import SnapshotRestore
    from .snapshot import Snapshot


def __getattr__(name: str) -> Any:
    if name == "Snapshot":
        from .snapshot import Snapshot

        return Snapshot
    if name == "SnapshotRestore":
        from .restore import SnapshotRestore

        return SnapshotRestore
    raise AttributeError(f"module 'pulumi_vpsorg' has no attribute {name!r}")


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConfigurationError",
    "DEFAULT_ENDPOINT",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RestoreResponse",
    "Server",
    "ServerError",
    "Snapshot",
    "SnapshotCreated",
    "SnapshotFailedError",
    "SnapshotInfo",
    "SnapshotLimitError",
    "SnapshotRestore",
    "VpsorgError",
    "WaitTimeoutError",
    "__version__",
]
