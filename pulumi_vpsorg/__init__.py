"""pulumi-vpsorg: manage VPS.org server snapshots from Pulumi programs.

    from pulumi_vpsorg import Snapshot, SnapshotRestore, SnapshotSeries

Those are dynamic resources, for Python programs. Programs in other languages use the native plugin
(:mod:`pulumi_vpsorg.native`, installed with ``vpsorg plugin install``), which runs the same steps.

Importing this package registers nothing and connects nowhere. What is not an error class loads on first use:
the resources (and so ``pulumi``) only when a program declares one, so the ``vpsorg`` command line and API scripts
start fast; the client and models (httpx, pydantic) only when used, so a Pulumi program (which needs neither: the
provider host does the API calls) starts fast too.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
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

if TYPE_CHECKING:
    from ._resources import (
        Snapshot,
        SnapshotArgs,
        SnapshotRestore,
        SnapshotRestoreArgs,
        SnapshotSeries,
        SnapshotSeriesArgs,
    )
    from .client import DEFAULT_ENDPOINT, Client
    from .models import RestoreResponse, Server, SnapshotCreated
    from .models import Snapshot as SnapshotInfo

_LAZY = {  # name -> (module, its name there)
    "Snapshot": ("_resources", "Snapshot"),
    "SnapshotArgs": ("_resources", "SnapshotArgs"),
    "SnapshotRestore": ("_resources", "SnapshotRestore"),
    "SnapshotRestoreArgs": ("_resources", "SnapshotRestoreArgs"),
    "SnapshotSeries": ("_resources", "SnapshotSeries"),
    "SnapshotSeriesArgs": ("_resources", "SnapshotSeriesArgs"),
    "Client": ("client", "Client"),
    "DEFAULT_ENDPOINT": ("client", "DEFAULT_ENDPOINT"),
    "RestoreResponse": ("models", "RestoreResponse"),
    "Server": ("models", "Server"),
    "SnapshotCreated": ("models", "SnapshotCreated"),
    "SnapshotInfo": ("models", "Snapshot"),
}


def __getattr__(name: str) -> Any:
    """The resources, the client and the models load on first use."""
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attribute)
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
    "SnapshotSeries",
    "SnapshotSeriesArgs",
    "VpsorgError",
    "WaitTimeoutError",
    "__version__",
]
