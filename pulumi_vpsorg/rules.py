"""The rules a user's values must follow (snapshot names, ids), with the reason when one does not: shared by the
resources' checks, the native plugin and the command line, and light enough for a Pulumi program to import."""

from __future__ import annotations

import math
import re
from typing import Any

NAME_MAX = 255
_NAME = re.compile(r"[A-Za-z0-9_-]+")


def snapshot_name_problem(name: Any) -> str | None:
    """Why ``name`` is not a valid snapshot name (letters, digits, hyphens, underscores; 1-255), or None."""
    if not isinstance(name, str):
        return f"name must be a string, got {type(name).__name__} {repr(name)[:60]}"
    if len(name) > NAME_MAX:
        return f"name must be at most {NAME_MAX} characters, got {len(name)}"
    if not _NAME.fullmatch(name):
        return f"name may contain only letters, digits, hyphens and underscores, got {repr(name)[:60]}"
    return None


MAX_ID = 2**53 - 1  # ids a JSON number holds exactly: 2**53 itself is also what 2**53 + 1 rounds to on the way
_DIGITS = re.compile(r"[0-9]{1,16}")


def positive_int(prop: str, value: Any, what: str) -> tuple[int | None, str | None]:
    """``(value as int, None)`` or ``(None, reason)``. Numbers arrive as floats (``12345.0``); strings of ASCII
    digits pass; anything else, zero, negative or above 2**53 - 1 is refused with the rule (a number beyond that
    arrives rounded: 9007199254740993 as 9007199254740992.0, so that value itself is refused too)."""
    rule = f"{prop} must be {what}: a whole number from 1 to {MAX_ID}"
    if isinstance(value, bool):
        return None, f"{rule}, not a boolean"
    if isinstance(value, str):
        text = value.strip()
        if not _DIGITS.fullmatch(text):
            return None, f"{rule} (ASCII digits only), got {_show(value)}"
        value = int(text)
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            return None, f"{rule}, got {value!r}"
        value = int(value)
    if not isinstance(value, int):
        return None, f"{rule}, got {type(value).__name__} {_show(value)}"
    if not 1 <= value <= MAX_ID:
        return None, f"{rule}, got {_show(value)}"
    return value, None


def _show(value: Any) -> str:
    """A user's value for a message: at most 60 characters of its repr (never a traceback for a huge one)."""
    text = (
        repr(value) if not isinstance(value, int) or value.bit_length() < 200 else f"a {len(str(value))}-digit number"
    )
    return text if len(text) <= 60 else text[:57] + "..."


def normal_value(value: Any) -> Any:
    """A value compared or hashed by what it means: whole-number floats as ints (numbers arrive as floats), lists and
    tuples alike, at any depth."""
    if isinstance(value, (list, tuple)):
        return [normal_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normal_value(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
