"""Faults the emulator can be told to inject, checked before anything is armed.

``{"status": 429, "count": 2, "retry_after": 1, "method": "GET", "path": "/api/v1/snapshots/"}`` answers the next
matching requests with that status (``body``: any JSON instead of the default detail, ``text``: an HTML page);
``{"drop_after_create": 1}`` performs the next create and then drops the connection; ``{"fail_snapshots": 1}``
makes the next snapshot end ``failed``; ``{"latency": 0.2}`` delays every request; ``{"rate_limit": 10}`` answers
429 (``Retry-After: 1``) to API requests beyond 10 a second (a bucket of 10; 0 lifts it);
``{"ignore_server_filter": True}`` lists every server's snapshots whatever ``server_id`` asks (paged as usual).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .reply import Reply

METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH")
_MAX_COUNT = 1_000_000


@dataclass
class Fault:
    """One armed status fault: answers the next ``count`` matching requests."""

    status: int
    count: int = 1
    retry_after: float | str | None = None
    method: str | None = None
    path: str | None = None
    body: Any = None
    text: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return self.method in (None, method) and self.path in (None, path)

    def reply(self) -> Reply:
        headers = {}
        if self.retry_after is not None:
            after = self.retry_after
            headers["Retry-After"] = after if isinstance(after, str) else f"{after:g}"
        detail = "Request was throttled." if self.status == 429 else "Internal server error (injected)."
        return Reply(self.status, self.body if self.body is not None else {"detail": detail}, headers, text=self.text)


def _whole(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= _MAX_COUNT


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _header(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isprintable()


def problem(spec: dict[str, Any]) -> str | None:
    """What is wrong with a fault spec (the keyword arguments of ``Emulator.inject``), or None."""
    status, latency, after = spec.get("status"), spec.get("latency"), spec.get("retry_after")
    checks = [
        (status is None or (_whole(status, 100) and status <= 599), "status must be an HTTP status, 100 to 599"),
        (_whole(spec.get("count", 1), 1), f"count must be a whole number from 1 to {_MAX_COUNT}"),
        (
            after is None or _number(after) or _header(after),
            "retry_after must be a number of seconds or a header value (printable ASCII)",
        ),
        (spec.get("method") in (None, *METHODS), f"method must be one of {', '.join(METHODS)}"),
        (
            spec.get("path") is None or (isinstance(spec["path"], str) and spec["path"].startswith("/")),
            "path must start with /",
        ),
        (spec.get("text") is None or isinstance(spec["text"], str), "text must be a string"),
        (_whole(spec.get("drop_after_create", 0), 0), f"drop_after_create must be a whole number to {_MAX_COUNT}"),
        (_whole(spec.get("fail_snapshots", 0), 0), f"fail_snapshots must be a whole number to {_MAX_COUNT}"),
        (latency is None or (_number(latency) and 0 <= latency <= 60), "latency must be 0 to 60 seconds"),
        (spec.get("ignore_server_filter") in (None, True, False), "ignore_server_filter must be true or false"),
        (
            spec.get("rate_limit") is None or (_number(spec["rate_limit"]) and 0 <= spec["rate_limit"] <= 1e6),
            "rate_limit must be 0 (none) to 1000000 requests a second",
        ),
    ]
    return next((why for ok, why in checks if not ok), None)


class RateLimit:
    """A bucket of ``rate`` requests refilled at ``rate`` a second: what VPS.org might do (its limit is unknown)."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate: float = rate
        self.tokens: float = rate
        self.at: float = now

    def take(self, now: float) -> Reply | None:
        """None when the request may go on, else the 429 (the emulator's lock guards this)."""
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return Reply(429, {"detail": "Request was throttled. Expected available in 1 second."}, {"Retry-After": "1"})


class Faults:
    """The armed faults; the emulator's lock guards them."""

    def __init__(self) -> None:
        self.armed: list[Fault] = []
        self.drop_after_create: int = 0
        self.fail_snapshots: int = 0
        self.ignore_server_filter: bool = False

    def take(self, method: str, path: str) -> Reply | None:
        """The reply of the first fault matching this request (using one of its count), or None."""
        for fault in self.armed:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self.armed.remove(fault)
                return fault.reply()
        return None

    def take_drop(self) -> bool:
        if self.drop_after_create > 0:
            self.drop_after_create -= 1
            return True
        return False

    def take_failure(self) -> bool:
        if self.fail_snapshots > 0:
            self.fail_snapshots -= 1
            return True
        return False
