"""Every setting, resolved and validated in one place: what the stack's config or the command line gives first, then
the environment, then the default.

- :func:`connection`: the token, the endpoint and the request budget's ceiling of one client, and the one key of its
  endpoint (``endpoint_key``) that names both its request budget and its locks.
- :func:`tuning`: the environment-only settings (``VPSORG_READ_MAX_AGE``, ``VPSORG_LOCK_DIR``,
  ``VPSORG_HOST_THREADS``, ``VPSORG_PROGRESS_SECONDS``), resolved once per distinct value: a bad one fails (or, for
  progress lines, warns) once, naming the variable and its rule.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ConfigurationError

TOKEN_ENV = "VPSORG_TOKEN"
ENDPOINT_ENV = "VPSORG_ENDPOINT"
RPS_ENV = "VPSORG_MAX_RPS"
READ_MAX_AGE_ENV = "VPSORG_READ_MAX_AGE"
LOCK_DIR_ENV = "VPSORG_LOCK_DIR"
HOST_THREADS_ENV = "VPSORG_HOST_THREADS"
PROGRESS_ENV = "VPSORG_PROGRESS_SECONDS"

READ_MAX_AGE = 60.0  # how old a list a refresh may judge by (listing)
HOST_THREADS = 4096  # threads start only when calls need them: the engine's --parallel is the cap
PROGRESS_SECONDS = 60.0  # a progress line under a resource this often while a step waits

log: logging.Logger = logging.getLogger("pulumi_vpsorg")


@dataclass(frozen=True)
class Connection:
    """One client's settings: ``token`` (unchecked here: the client checks it, naming where to set it), the
    resolved ``endpoint``, the budget's ceiling ``max_rps`` (None: none; 0: unpaced) and ``key``, the endpoint's one
    name for the request budget and the locks (``localhost`` and ``127.0.0.1`` are one key)."""

    token: str | None
    endpoint: str
    max_rps: float | None
    key: str


def connection(
    token: str | None = None,
    endpoint: str | None = None,
    max_rps: str | float | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Connection:
    """The given values, else ``VPSORG_TOKEN`` / ``VPSORG_ENDPOINT`` / ``VPSORG_MAX_RPS``, else the defaults;
    a :class:`ConfigurationError` naming the setting for a bad endpoint or ceiling."""
    from .budget import rate_limit
    from .client import endpoint_key, resolve_endpoint

    resolved = resolve_endpoint(endpoint or environ.get(ENDPOINT_ENV))
    try:
        ceiling = rate_limit(max_rps if max_rps not in (None, "") else environ.get(RPS_ENV))
    except ValueError as e:
        raise ConfigurationError(str(e)) from None
    return Connection(token or environ.get(TOKEN_ENV), resolved, ceiling, endpoint_key(resolved))


@dataclass(frozen=True)
class Tuning:
    """The environment-only settings (see the module doc)."""

    read_max_age: float
    lock_dir: str | None  # None: the private folder under the system's temporary folder
    host_threads: int  # 0: leave the dynamic provider host's pool alone
    progress_seconds: float


def tuning(environ: Mapping[str, str] = os.environ) -> Tuning:
    """The environment-only settings as the environment gives them now (resolved once per distinct value)."""
    keys = (READ_MAX_AGE_ENV, LOCK_DIR_ENV, HOST_THREADS_ENV, PROGRESS_ENV)
    return _tuning(tuple(environ.get(k, "").strip() for k in keys))


@functools.lru_cache(maxsize=16)
def _tuning(raw: tuple[str, str, str, str]) -> Tuning:
    age, lock_dir, threads, every = raw
    return Tuning(
        read_max_age=_number(
            READ_MAX_AGE_ENV,
            age,
            READ_MAX_AGE,
            "a number of seconds from 0 up",
            "how old a list a refresh may judge by. Unset it for the default, 60.",
        ),
        lock_dir=lock_dir or None,
        host_threads=int(
            _number(
                HOST_THREADS_ENV,
                threads,
                HOST_THREADS,
                "a whole number of threads from 0 up",
                "how many calls the dynamic provider host may serve at once (0: leave its pool of 4 alone).",
                whole=True,
            )
        ),
        progress_seconds=_progress_seconds(every),
    )


def _number(env: str, text: str, default: float, rule: str, what: str, *, whole: bool = False) -> float:
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0 and (not whole or value.is_integer())):
        raise ConfigurationError(f"{env} must be {rule} (got {text[:40]!r}): {what}")
    return value


def _progress_seconds(text: str) -> float:
    """A bad value only warns: progress lines are a courtesy, never a reason to fail a deployment."""
    try:
        every = float(text) if text else PROGRESS_SECONDS
    except ValueError:
        every = 0.0
    if not (math.isfinite(every) and every > 0):
        log.warning(
            "%s=%r is not a number of seconds above 0: progress lines come every %gs",
            PROGRESS_ENV,
            text[:40],
            PROGRESS_SECONDS,
        )
        return PROGRESS_SECONDS
    return every
