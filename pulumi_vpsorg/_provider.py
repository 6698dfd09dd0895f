"""What both dynamic providers share: configuration, the per-process client, input helpers and the host pool.

Nothing here lives on a provider object: the provider is pickled into every resource's state, so it stays an
empty instance of a class in this package (pickled by reference). The token is kept in this module's memory in the
provider process only.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import importlib.util
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, DiffResult, ResourceProvider

from . import settings, spec
from .errors import VpsorgError
from .rules import positive_int as positive_int
from .spec import as_int as as_int
from .spec import is_unknown as is_unknown

if TYPE_CHECKING:
    from .client import Client

log: logging.Logger = logging.getLogger("pulumi_vpsorg")

HOST_THREADS_ENV = settings.HOST_THREADS_ENV
# sha256 of pulumi/dynamic/__main__.py in the Pulumi versions widen_host_pool was checked against (it reaches into
# the private fields of the ThreadPoolExecutor(max_workers=4) that host serves from); a different host is left
# alone. tests/test_provider_host.py fails on an installed Pulumi whose host is not listed here.
CHECKED_HOSTS = {
    "c99d671c026cf91ed5a31ad457dc018735e173ccba924dea898a42ae774f19f6": "pulumi 3.272.0",
}

_lock = threading.Lock()
_config: dict[str, str | None] = {s.name: None for s in spec.SETTINGS}  # stack config, by the spec's settings
_clients: dict[tuple[str | None, ...], Client] = {}
_pool_checked = False

F = TypeVar("F", bound=Callable[..., Any])


class _Provider(ResourceProvider):
    """Base of both providers: reads stack config in ``configure`` and keeps nothing on the instance."""

    serialize_as_secret_always = False  # it holds no secret: a class reference and no attributes

    def configure(self, req: ConfigureRequest) -> None:
        with _lock:
            for setting in spec.SETTINGS:
                _config[setting.name] = _config_value(req, f"vpsorg:{spec.camel(setting.name)}")
        widen_host_pool()
        importlib.import_module(".operations", __package__)  # the steps' modules, loaded once, in the host only


def _config_value(req: ConfigureRequest, key: str) -> str | None:
    value = req.config.get(key)
    return str(value) if value not in (None, "") else None


def client() -> Client:
    """The process's client for the configured token, endpoint and request budget (stack config first, then
    environment)."""
    return client_for(_config["token"], _config["endpoint"], _config["max_requests_per_second"])


def client_for(token: str | None, endpoint: str | None, max_rps: str | None) -> Client:
    """The process's one client for this configuration (``VPSORG_TOKEN`` / ``VPSORG_ENDPOINT`` fill what is
    unset): one request budget and one list cache per account and endpoint."""
    from .client import Client  # not at import: a Pulumi program needs none of it
    from .errors import PULUMI_TOKEN_HINT

    with _lock:
        found = _clients.get((token, endpoint, max_rps))
        if found is None:
            found = _clients[(token, endpoint, max_rps)] = Client(
                token, endpoint, max_requests_per_second=max_rps, token_hint=PULUMI_TOKEN_HINT
            )
        return found


_current = threading.local()


def step(line: str | None = None) -> Callable[[F], F]:
    """A dynamic provider's step, as the user sees it:

    - under the resource: inside Pulumi's dynamic provider host (a checked one, ``CHECKED_HOSTS``) the package's
      warnings, and with ``line`` (the name of a ``_progress`` line function) a progress line while the step waits
      (:func:`on_poll` gives the step its reporter), go to the engine's log with the request's URN, as the plugin
      sends them. The engine's address is the host's command-line argument; the URN is the host's request's.
    - its errors as their message: the host sends ``traceback.format_exc()`` of an error, whose first line becomes
      the resource's row in ``pulumi up``; in a checked host ``sys.tracebacklimit = 0`` cuts it to the error's own
      line while our error travels up to the host's handler (which formats it as soon as our method returns), and
      the limit as it was comes back on the host's next call into a step. Elsewhere only our own frames are left out.
    """

    def decorate(method: F) -> F:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _frames_shown_again()
            try:
                with _under_resource(line):
                    return method(*args, **kwargs)
            except VpsorgError as e:
                _no_frames_for_the_host()
                raise e.with_traceback(None) from None

        wrapper.__name__, wrapper.__doc__ = method.__name__, method.__doc__
        return wrapper  # type: ignore[return-value]

    return decorate


def on_poll() -> Callable[[Any, float], None] | None:
    """The progress reporter of the step running on this thread (None outside a host, or without a line)."""
    reporter: Callable[[Any, float], None] | None = getattr(_current, "reporter", None)
    return reporter


@contextmanager
def _under_resource(line: str | None) -> Iterator[None]:
    progress = _host_progress()
    urn = _request_urn() if progress is not None else ""
    if progress is None or not urn:
        yield
        return
    from . import _progress

    previous = getattr(_current, "reporter", None)
    _current.reporter = progress.reporter(urn, getattr(_progress, line)) if line else None
    try:
        with progress.step(urn):
            yield
    finally:
        _current.reporter = previous


_progress_made = False
_progress: Any = None  # _progress.Progress for the engine named on the host's command line


def _host_progress() -> Any:
    """The engine's log as the dynamic provider host may reach it (its address is the host's argument), once per
    process, with the package's warnings sent there; None outside a checked host or without an address."""
    global _progress_made, _progress
    if _progress_made:  # the common case, without the lock
        return _progress
    with _lock:
        if _progress_made:
            return _progress
        _progress_made = True
        engine = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
        if engine is None or not _in_checked_host():
            return None
        from ._progress import Progress, WarningsToEngine

        _progress = Progress(engine)
        logging.getLogger("pulumi_vpsorg").addHandler(WarningsToEngine(_progress))
        return _progress


def _request_urn() -> str:
    """The URN of the request the host is serving on this thread: the ``request`` of its gRPC method, a few frames up
    (the checked host's ``Create(self, request, context)`` and the others call the provider directly)."""
    frame = sys._getframe(1)
    for _ in range(12):
        if frame is None:
            break
        urn = getattr(frame.f_locals.get("request"), "urn", None)
        if isinstance(urn, str) and urn.startswith("urn:pulumi:"):
            return urn
        frame = frame.f_back  # type: ignore[assignment]
    return ""


_NO_LIMIT = object()
_limit_before: Any = None  # sys.tracebacklimit before an error of ours cut it (None: not cut)


def _no_frames_for_the_host() -> None:
    global _limit_before
    if not _in_checked_host():
        return
    with _lock:
        if _limit_before is None:
            _limit_before = getattr(sys, "tracebacklimit", _NO_LIMIT)
        sys.tracebacklimit = 0


def _frames_shown_again() -> None:
    global _limit_before
    if _limit_before is None:  # the common case, without the lock
        return
    with _lock:
        if _limit_before is None:
            return
        if _limit_before is _NO_LIMIT:
            del sys.tracebacklimit
        else:
            sys.tracebacklimit = _limit_before
        _limit_before = None


@functools.cache
def _in_checked_host() -> bool:
    main = sys.modules.get("__main__")
    if getattr(getattr(main, "__spec__", None), "name", None) != "pulumi.dynamic.__main__":
        return False
    try:
        return host_fingerprint() in CHECKED_HOSTS
    except OSError:
        return False


# ----- inputs ------------------------------------------------------------------------------------------------


class StepsProvider(_Provider):
    """A resource's dynamic provider: ``check`` and ``diff`` by its declaration in the spec (``declared``), keeping
    the property its constructor ``added`` (where it is declared); each subclass adds its steps."""

    declared: ClassVar[spec.Resource]
    added: ClassVar[str]

    @step()
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = spec.check(news, self.declared.inputs)
        if isinstance(news.get(self.added), str):
            inputs[self.added] = news[self.added]
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in failures])

    @step()
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Which inputs replace and which update in place."""
        replaces = spec.changed(self.declared, "replace", olds, news)
        updates = spec.changed(self.declared, "update", olds, news)
        return DiffResult(
            changes=bool(replaces or updates),
            replaces=replaces,
            delete_before_replace=self.declared.delete_before_replace and bool(replaces),
        )


# ----- the host's thread pool ----------------------------------------------------------------------------------


def host_fingerprint() -> str:
    """sha256 of the installed ``pulumi/dynamic/__main__.py``, the host whose pool :func:`widen_host_pool` widens."""
    spec = importlib.util.find_spec("pulumi.dynamic.__main__")
    with open(spec.origin if spec and spec.origin else "", "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def widen_host_pool() -> None:
    """Let the dynamic provider host serve more than 4 calls at once.

    ``python -m pulumi.dynamic`` serves gRPC from a ``ThreadPoolExecutor(max_workers=4)``, so a 5th snapshot
    create would queue until one of the first four finished waiting. Our calls mostly sleep while they wait (a
    waiting call costs one idle thread and no CPU; docs/benchmarks.md has the figures), so we raise that pool's
    limit far enough that the engine's ``--parallel`` is the only cap (default 4096, ``VPSORG_HOST_THREADS`` to
    change, 0 to leave it alone). This reaches into private attributes of ``concurrent.futures``; it runs only
    inside a host listed in ``CHECKED_HOSTS``, only once, and if anything does not look as expected it changes
    nothing and calls are simply served 4 at a time.
    """
    global _pool_checked
    with _lock:
        if _pool_checked:
            return
        _pool_checked = True
    try:
        workers = settings.tuning().host_threads
        main = sys.modules.get("__main__")
        if workers <= 0 or getattr(getattr(main, "__spec__", None), "name", None) != "pulumi.dynamic.__main__":
            return
        if host_fingerprint() not in CHECKED_HOSTS:
            log.info("this Pulumi's dynamic provider host was not checked against this package: 4 calls at a time")
            return
        me = threading.current_thread()
        pool = next(
            (o for o in gc.get_objects() if isinstance(o, ThreadPoolExecutor) and me in getattr(o, "_threads", ())),
            None,
        )
        if pool is None or not isinstance(getattr(pool, "_max_workers", None), int):
            log.info("provider host pool not found; serving 4 calls at a time")
            return
        with pool._shutdown_lock:
            if pool._max_workers >= workers:
                return
            pool._max_workers = workers
            for _ in range(pool._work_queue.qsize()):
                pool._adjust_thread_count()
    except Exception as e:  # never let an optimisation break a deployment
        log.warning("could not widen the provider host's thread pool (%s); serving 4 calls at a time", e)
