"""Durations as users write them (``wait_timeout``, ``--timeout``): ``"90s"``, ``"20m"``, ``"1h30m"``, ``45``."""

from __future__ import annotations

import math
import re

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_SECONDS = re.compile(_NUMBER)
_DURATION = re.compile(rf"(?:(?P<h>{_NUMBER})h)?(?:(?P<m>{_NUMBER})m(?!s))?(?:(?P<s>{_NUMBER})s)?(?:(?P<ms>[0-9]+)ms)?")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_MAX_TIMEOUT = 24 * 3600.0
_DURATION_RULE = "use seconds (90) or a duration such as '90s', '20m', '1h30m' (each unit once, largest first)"


def parse_duration(value: str | int | float) -> float:
    """Seconds from a number of seconds or a duration string: ``"90s"``, ``"20m"``, ``"1h30m"``, ``"45"``.

    Raises ``ValueError`` with the rule when the value is not a positive duration of at most 24 hours.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"must be a number of seconds or a duration: {_DURATION_RULE}")
    if isinstance(value, str):
        seconds = _duration_seconds(value)
    else:
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
    if not seconds > 0:
        raise ValueError(f"must be more than zero seconds (got {value!r})")
    if seconds > _MAX_TIMEOUT:
        raise ValueError(f"must be at most 24 hours (got {str(value)[:40]!r})")
    return seconds


def _duration_seconds(value: str) -> float:
    text = value.strip().lower()
    if _SECONDS.fullmatch(text):
        return float(text)
    m = _DURATION.fullmatch(text) if len(text) <= 40 else None
    if not text or m is None or not any(m.groupdict().values()):
        raise ValueError(f"{value[:40]!r} is not a duration: {_DURATION_RULE}")
    return sum(float(v) * _UNITS[k] for k, v in m.groupdict().items() if v)


def format_duration(seconds: float) -> str:
    """``125`` -> ``"2m05s"``: for progress lines and messages."""
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m:02d}m"
    return f"{m}m{s:02d}s" if m else f"{s}s"
