"""pulumi-vpsorg: manage VPS.org server snapshots from Pulumi programs.

    from pulumi_vpsorg import Snapshot, SnapshotRestore

Those are dynamic resources, for Python programs. Programs in other languages use the native plugin
(:mod:`pulumi_vpsorg.native`, installed with ``vpsorg plugin install``), which runs the same steps.

Importing this package registers nothing and connects nowhere. The resources (and so ``pulumi``) load on first
use, so the ``vpsorg`` command line and plain API scripts start fast.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .client import DEFAULT_ENDPOINT, Client
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
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
from .models import RestoreResponse, Server, SnapshotCreated
from .models import Snapshot as SnapshotInfo

if TYPE_CHECKING:
    from .restore import SnapshotRestore, SnapshotRestoreArgs
    from .snapshot import Snapshot, SnapshotArgs

_LAZY = {
    "Snapshot": "snapshot",
    "SnapshotArgs": "snapshot",
    "SnapshotRestore": "restore",
    "SnapshotRestoreArgs": "restore",
}


def __getattr__(name: str) -> Any:
    """The resources load (and import pulumi) on first use."""
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'pulumi_vpsorg' has no attribute {name!r}")


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
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
    "SnapshotArgs",
    "SnapshotCreated",
    "SnapshotFailedError",
    "SnapshotInfo",
    "SnapshotLimitError",
    "SnapshotRestore",
    "SnapshotRestoreArgs",
    "VpsorgError",
    "WaitTimeoutError",
    "__version__",
]
