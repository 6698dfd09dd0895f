"""What both dynamic providers share: configuration, the per-process client, input helpers and the host pool.

Nothing here lives on a provider object: the provider is pickled into every resource's state, so it stays an
empty instance of a class in this package (pickled by reference). The token is kept in this module's memory in the
provider process only.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional, Sequence, TypeVar

from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN as UNKNOWN_WIRE

from .client import Client, ENDPOINT_ENV, TOKEN_ENV
from .errors import VpsorgError
from .models import positive_int as positive_int

log = logging.getLogger("pulumi_vpsorg")

HOST_THREADS_ENV = "VPSORG_HOST_THREADS"
_DEFAULT_HOST_THREADS = 64

_lock = threading.Lock()
_config: dict[str, Optional[str]] = {"token": None, "endpoint": None}
_clients: dict[tuple[Optional[str], Optional[str]], Client] = {}
_pool_checked = False

F = TypeVar("F", bound=Callable[..., Any])


class _Provider(ResourceProvider):
    """Base of both providers: reads stack config in ``configure`` and keeps nothing on the instance."""

    serialize_as_secret_always = False  # it holds no secret: a class reference and no attributes

    def configure(self, req: ConfigureRequest) -> None:
        with _lock:
            _config["token"] = _config_value(req, "vpsorg:token")
            _config["endpoint"] = _config_value(req, "vpsorg:endpoint")
        widen_host_pool()


def _config_value(req: ConfigureRequest, key: str) -> Optional[str]:
    value = req.config.get(key)
    return str(value) if value not in (None, "") else None


def client() -> Client:
    """The process's client for the configured token and endpoint (stack config first, then environment)."""
    token = _config["token"] or os.environ.get(TOKEN_ENV)
    endpoint = _config["endpoint"] or os.environ.get(ENDPOINT_ENV)
    with _lock:
        found = _clients.get((token, endpoint))
        if found is None:
            found = _clients[(token, endpoint)] = Client(token, endpoint)
        return found


def plain_errors(method: F) -> F:
    """Re-raise our errors without their inner frames: the engine shows the traceback text as the error."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except VpsorgError as e:
            raise e.with_traceback(None) from None

    wrapper.__name__, wrapper.__doc__ = method.__name__, method.__doc__
    return wrapper  # type: ignore[return-value]


# ----- inputs ------------------------------------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    """A preview value not known yet (``pulumi.output.Unknown``, or its wire form)."""
    return isinstance(value, Unknown) or value == UNKNOWN_WIRE


def changed(
    props: Sequence[str], olds: dict[str, Any], news: dict[str, Any], same: Callable[[str, Any, Any], bool]
) -> list[str]:
    """The properties of ``props`` that differ between state and new inputs; an unknown value may differ."""
    return [p for p in props if is_unknown(news.get(p)) or not same(p, olds.get(p), news.get(p))]


def as_int(value: Any) -> Optional[int]:
    """An id from state or checked inputs (float, int or digit string) as int."""
    if value is None or value == "" or is_unknown(value):
        return None
    return int(float(value))


# ----- the host's thread pool ----------------------------------------------------------------------------------


def widen_host_pool() -> None:
    """Let the dynamic provider host serve more than 4 calls at once.

    ``python -m pulumi.dynamic`` serves gRPC from a ``ThreadPoolExecutor(max_workers=4)``, so a 5th snapshot
    create would queue until one of the first four finished waiting. Our calls mostly sleep while they wait, so we
    raise that pool's limit (default 64, ``VPSORG_HOST_THREADS`` to change, 0 to leave it alone). This reaches
    into private attributes of ``concurrent.futures``; it runs only inside that host, only once, and if anything
    does not look as expected it changes nothing and calls are simply served 4 at a time.
    """
    global _pool_checked
    with _lock:
        if _pool_checked:
            return
        _pool_checked = True
    try:
        workers = int(os.environ.get(HOST_THREADS_ENV, _DEFAULT_HOST_THREADS))
        main = sys.modules.get("__main__")
        if workers <= 0 or getattr(getattr(main, "__spec__", None), "name", None) != "pulumi.dynamic.__main__":
            return
        me = threading.current_thread()
        pool = next(
            (o for o in gc.get_objects() if isinstance(o, ThreadPoolExecutor) and me in getattr(o, "_threads", ())),
            None,
        )
        if pool is None or not isinstance(getattr(pool, "_max_workers", None), int):
            log.info("provider host pool not found; serving 4 calls at a time")
            return
        with pool._shutdown_lock:  # type: ignore[attr-defined]
            if pool._max_workers >= workers:  # type: ignore[attr-defined]
                return
            pool._max_workers = workers  # type: ignore[attr-defined]
            for _ in range(pool._work_queue.qsize()):  # type: ignore[attr-defined]
                pool._adjust_thread_count()  # type: ignore[attr-defined]
    except Exception as e:  # never let an optimisation break a deployment
        log.warning("could not widen the provider host's thread pool (%s); serving 4 calls at a time", e)
