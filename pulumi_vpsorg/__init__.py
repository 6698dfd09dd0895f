"""pulumi-vpsorg: manage VPS.org server snapshots from Pulumi programs.

    from pulumi_vpsorg import Snapshot, SnapshotRestore

Importing this package registers nothing and connects nowhere.
"""

from .client import DEFAULT_ENDPOINT, Client, __version__
from .errors import (
    APIConnectionError,
    APIError,
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
from .restore import SnapshotRestore
from .snapshot import Snapshot

__all__ = [
    "APIConnectionError",
    "APIError",
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
