"""The request budget: one per API endpoint, shared by every call in the process.

VPS.org publishes no rate limit, so requests are paced by a token bucket: at most ``rate`` a second on average,
``BURST`` at once. When VPS.org answers 429 every caller slows down, not only the one that was refused: all
requests pause for its ``Retry-After`` (1 s when it gives none), and the rate halves (once per pause). Each answered
request then raises the rate by 2% until it is back at the configured limit.

The limit is ``vpsorg:maxRequestsPerSecond`` (stack config), else ``VPSORG_MAX_RPS``, else 10 a second. 0 turns
pacing off until VPS.org answers 429: then requests are paced at half the rate they were sent in the last second,
and recover the same way (unpaced again once above 1,000 a second).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable

RPS_ENV = "VPSORG_MAX_RPS"
DEFAULT_RPS = 10.0
BURST = 10  # requests that may go at once after a quiet spell
_RECOVERY = 1.02
_UNPACED_AGAIN = 1000.0


def rate_limit(value: str | float | None) -> float:
    """Requests per second from config or the environment (0: unlimited); ValueError naming the rule."""
    if value is None or value == "":
        value = os.environ.get(RPS_ENV) or DEFAULT_RPS
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = math.nan
    if not (math.isfinite(rate) and rate >= 0):
        raise ValueError(
            f"The request budget must be a number of requests a second, 0 for none (got {str(value)[:40]!r}): "
            f"fix vpsorg:maxRequestsPerSecond or {RPS_ENV}."
        )
    return rate


class RequestBudget:
    """A token bucket with a pause, shared by every caller (thread-safe); see the module docstring."""

    def __init__(self, limit: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.limit: float = limit
        self.rate: float = limit
        self._tat = 0.0  # when the bucket would be empty again (generic cell rate algorithm)
        self.paused_until: float = 0.0
        self.throttled: int = 0  # 429s seen
        self.pauses: int = 0  # pauses begun: a caller that waited through one takes its turn again
        self._sent: deque[float] = deque()  # when the requests of the last second were let go

    def set_limit(self, limit: float) -> None:
        with self._lock:
            self.limit = self.rate = limit

    def reserve(self) -> tuple[float, int]:
        """Take the next slot: how many seconds to wait for it (0: go now), and the number of pauses so far (one
        begun while waiting means the slot is void: reserve again).
        """
        with self._lock:
            now = self._clock()
            start = max(now, self.paused_until)
            if not self.rate:
                self._sent.append(start)
                while self._sent and self._sent[0] < now - 1.0:
                    self._sent.popleft()
                return start - now, self.pauses
            interval = 1.0 / self.rate
            tat = max(self._tat, start)
            slot = max(start, tat - interval * (BURST - 1))
            self._tat = tat + interval
            return slot - now, self.pauses

    def refused(self, pause: float) -> None:
        """A 429: every caller pauses ``pause`` seconds (its Retry-After, or the caller's backoff), and the rate
        halves (once per pause).
        """
        with self._lock:
            now = self._clock()
            self.throttled += 1
            if now >= self.paused_until:
                self.pauses += 1
                sent = self.rate or max(1.0, float(len(self._sent)))  # unpaced: what went out in the last second
                self.rate = max(sent / 2, min(self.limit or 0.5, 0.5))
            self.paused_until = max(self.paused_until, now + pause)
            if self.rate:  # the turns taken before are void (their callers take new ones); no burst after it
                self._tat = self.paused_until + (BURST - 1) / self.rate

    def answered(self) -> None:
        """An answer that was not a 429: the rate recovers towards the limit."""
        with self._lock:
            if self.rate and not self.limit:  # unpaced, slowed by a 429: recover, then unpaced again
                self.rate = 0.0 if self.rate * _RECOVERY > _UNPACED_AGAIN else self.rate * _RECOVERY
            elif self.rate and self.rate < self.limit:
                self.rate = min(self.limit, self.rate * _RECOVERY)


_BUDGETS: dict[str, RequestBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def for_endpoint(endpoint: str, limit: float) -> RequestBudget:
    """The process's budget for ``endpoint``, now with ``limit`` requests per second."""
    with _BUDGETS_LOCK:
        found = _BUDGETS.get(endpoint)
        if found is None:
            found = _BUDGETS[endpoint] = RequestBudget(limit)
        elif found.limit != limit:
            found.set_limit(limit)
        return found
