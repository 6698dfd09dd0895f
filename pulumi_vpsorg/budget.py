"""The request budget: one per API endpoint, shared by every call in the process.

VPS.org publishes no rate limit, so the rate adapts to what VPS.org takes, as TCP's congestion control does:
requests start at ``START_RPS`` a second (``BURST`` may go at once after a quiet spell) and the rate grows while
they are answered, by two requests a second for each answer until VPS.org first refuses (slow start), then by
``ADDITIVE_STEP`` a second for each second of answers (additive increase). A 429 or 503 slows every caller of the
process down, not only the one refused: all its requests pause (for its ``Retry-After``, else the caller's backoff,
plus up to ``JITTER`` of it more, so that processes refused at once do not all come back at once) and, once per
pause, the rate drops: the first time to half the rate sent (what the slow start saw answered includes VPS.org's
burst), later to ``DECREASE`` times the rate VPS.org was answering this process in the last second (never more than
that times the rate sent).

Processes that share an account share nothing but VPS.org's answers, as TCP flows share a link: each one's answered
rate is its share of the limit, so pacing from it (not from half of what it sent) puts their sum just under the
limit, and the slow additive growth keeps refusals rare while the shares even out (``benchmarks/processes.py``).

``vpsorg:maxRequestsPerSecond`` (stack config), else ``VPSORG_MAX_RPS``, is a ceiling the rate never passes
(unset: none). 0 turns pacing off until VPS.org refuses a request: then requests are paced at half the rate they
were sent in the last second, and recover by 2% an answer (unpaced again once above 1,000 a second).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable

RPS_ENV = "VPSORG_MAX_RPS"  # read by pulumi_vpsorg.settings
START_RPS = 10.0
BURST = 10  # requests that may go at once after a quiet spell
LOOKAHEAD = 0.25  # a caller takes a slot at most this far ahead; further, it asks again then
SLOW_START_STEP = 2.0  # requests a second more for each answer, until the first refusal
ADDITIVE_STEP = 0.25  # then requests a second more for each second of answers
DECREASE = 0.7  # after a refusal: this times the rate answered in the last second
JITTER = 0.2  # a refusal's pause is up to this fraction longer than its Retry-After
_RECOVERY = 1.02
_UNPACED_AGAIN = 1000.0


def rate_limit(value: str | float | None) -> float | None:
    """The ceiling as config or the environment gives it: requests a second, 0 for unpaced, None for none (adaptive
    from ``START_RPS`` up); ValueError naming the rule."""
    if value is None or value == "":
        return None
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = math.nan
    if not (math.isfinite(rate) and rate >= 0):
        raise ValueError(
            f"The request budget must be a number of requests a second, 0 for unpaced (got {str(value)[:40]!r}): "
            f"fix vpsorg:maxRequestsPerSecond or {RPS_ENV}, or unset it to let the rate adapt."
        )
    return rate


class RequestBudget:
    """A token bucket whose rate adapts, with a pause, shared by every caller (thread-safe); see the module doc.

    ``limit``: the ceiling (None: none; 0: unpaced). ``clock``: what time it is; ``jitter``: a number in [0, 1) that
    stretches each pause (tests pass a constant).
    """

    def __init__(
        self,
        limit: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._jitter = jitter
        self.limit: float | None = limit
        self.rate: float = _start(limit)
        self.threshold: float = math.inf  # where growth turns additive: the rate set by the last refusal
        self._bucket_empty_at = 0.0  # when the bucket would be empty again (generic cell rate algorithm)
        self.paused_until: float = 0.0
        self._resumed_at: float = -math.inf  # when the last pause ended
        self.throttled: int = 0  # 429s and 503s seen
        self.pauses: int = 0  # pauses begun: a caller that waited through one takes its turn again
        self._sent: deque[float] = deque()  # when the requests of the last second were let go (unpaced)
        self._answered: deque[float] = deque()  # when the answers of the last second came

    def set_limit(self, limit: float | None) -> None:
        with self._lock:
            self.limit, self.rate, self.threshold = limit, _start(limit), math.inf

    def reserve(self) -> tuple[float, bool, int]:
        """Ask for the next slot: ``(wait, taken, pauses)``. ``taken``: the slot is this caller's, ``wait`` seconds
        from now (0: go now; after a pause, when it ends), unless another pause begins meanwhile (``pauses``
        changes: ask again). A slot more than ``LOOKAHEAD`` past the pause's end (or now) is not taken: sleep
        ``wait`` and ask again, so that waiting callers take their turns at the rate of when they go, which grows
        meanwhile.
        """
        with self._lock:
            now = self._clock()
            start = max(now, self.paused_until)
            if not self.rate:
                _last_second(self._sent, now).append(start)
                return start - now, True, self.pauses
            interval = 1.0 / self.rate
            empty_at = max(self._bucket_empty_at, start)
            slot = max(start, empty_at - interval * (BURST - 1))
            if slot - start > LOOKAHEAD:
                return start - now + LOOKAHEAD, False, self.pauses
            self._bucket_empty_at = empty_at + interval
            return slot - now, True, self.pauses

    def refused(self, pause: float) -> None:
        """A 429 or 503: every caller pauses ``pause`` seconds (its Retry-After, or the caller's backoff) and up to
        ``JITTER`` of it more, and (once per pause) the rate drops: the first time to half the rate sent, later to
        ``DECREASE`` times the rate answered; growth is additive from then on.
        """
        with self._lock:
            now = self._clock()
            self.throttled += 1
            if now >= self.paused_until:
                self.pauses += 1
                sent = self.rate or max(1.0, float(len(self._sent)))  # unpaced: what went out in the last second
                if self.threshold == math.inf:  # the first: what the slow start saw answered includes VPS.org's burst
                    self.rate = self.threshold = max(sent / 2, 0.5)
                else:
                    self.rate = self.threshold = max(DECREASE * min(sent, self._answered_rate(now) or sent), 0.5)
                self._resumed_at = self.paused_until
            self.paused_until = max(self.paused_until, now + pause * (1 + JITTER * self._jitter()))
            if self.rate:  # the turns taken before are void (their callers take new ones); no burst after it
                self._bucket_empty_at = self.paused_until + (BURST - 1) / self.rate

    def _answered_rate(self, now: float) -> float | None:
        """Answers a second over the last second, or since the last pause ended if later; None over too short a
        time to tell (then the rate sent stands for it)."""
        since = max(now - 1.0, self._resumed_at)
        if now - since < 0.25:
            return None
        return sum(1 for t in _last_second(self._answered, now) if t > since) / (now - since)

    def answered(self) -> None:
        """An answer that was not a refusal: the rate grows (see the module doc), never past the ceiling."""
        with self._lock:
            now = self._clock()
            self._answered.append(now)
            _last_second(self._answered, now)
            if not self.rate:
                return
            if self.limit == 0:  # unpaced, slowed by a refusal: recover, then unpaced again
                self.rate = 0.0 if self.rate * _RECOVERY > _UNPACED_AGAIN else self.rate * _RECOVERY
                return
            grown = self.rate + (SLOW_START_STEP if self.rate < self.threshold else ADDITIVE_STEP / self.rate)
            grown = grown if self.limit is None else min(self.limit, grown)
            if self._bucket_empty_at > now:  # the slots already handed out, spaced at the new rate from now on
                self._bucket_empty_at = now + (self._bucket_empty_at - now) * self.rate / grown
            self.rate = grown


def _last_second(times: deque[float], now: float) -> deque[float]:
    """``times``, cut to those of the last second."""
    while times and times[0] < now - 1.0:
        times.popleft()
    return times


def _start(limit: float | None) -> float:
    return 0.0 if limit == 0 else START_RPS if limit is None else min(START_RPS, limit)


_BUDGETS: dict[str, RequestBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def for_endpoint(endpoint: str, limit: float | None, clock: Callable[[], float] = time.monotonic) -> RequestBudget:
    """The process's budget for ``endpoint`` (its ``endpoint_key``: every spelling of one API shares it), now with the
    ceiling ``limit`` (see :class:`RequestBudget`); made on ``clock`` (the process's clients share one)."""
    with _BUDGETS_LOCK:
        found = _BUDGETS.get(endpoint)
        if found is None:
            found = _BUDGETS[endpoint] = RequestBudget(limit, clock=clock)
        elif found.limit != limit:
            found.set_limit(limit)
        return found
