"""Property values between the engine's wire form and the plain dicts the resource steps use.

The steps (``snapshot.create_step`` and the others) are the dynamic resources' own, so they take snake_case
names, numbers as floats and an unknown preview value as the wire's ``UNKNOWN`` string, exactly as the dynamic
provider host hands them over. Here camelCase schema names become snake_case at the top level (nested values, such
as ``triggers``, are kept as written), secrets are unwrapped, and back: a property that held a secret going in is
marked secret coming out (:func:`secret_names`, ``to_wire(..., secrets=)``), so the engine encrypts it in state.
An unknown value goes back as the wire's unknown string, which the engine reads as unknown (the SDK cannot
marshal its own ``Computed``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from ..spec import camel as camel

_UPPER = re.compile(r"[A-Z]")


def snake(name: str) -> str:
    """``serverId`` -> ``server_id``."""
    return _UPPER.sub(lambda m: "_" + m.group(0).lower(), name)


def to_plain(props: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """The engine's properties as the steps take them: snake_case names, plain values."""
    return {snake(k): _plain(v) for k, v in props.items()}


def _plain(value: PropertyValue) -> Any:
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, tuple):
        return [_plain(v) for v in inner]
    if isinstance(inner, Mapping):
        return {k: _plain(v) for k, v in inner.items()}
    return inner


def secret_names(*props: Mapping[str, PropertyValue]) -> frozenset[str]:
    """The (camelCase) properties that hold a secret anywhere in them, in any of ``props``."""
    return frozenset(k for p in props for k, v in p.items() if v.contains_secret())


def to_wire(props: Mapping[str, Any], secrets: frozenset[str] = frozenset()) -> dict[str, PropertyValue]:
    """The steps' results as the engine takes them: camelCase names; None values left out; the properties named in
    ``secrets`` marked secret."""
    wire = {camel(k): _wire(v) for k, v in props.items() if v is not None}
    return {k: v.with_secret(True) if k in secrets else v for k, v in wire.items()}


def _wire(value: Any) -> PropertyValue:
    if value is None:
        return PropertyValue.null()
    if value == UNKNOWN:
        return PropertyValue(UNKNOWN)
    if isinstance(value, bool) or isinstance(value, str):
        return PropertyValue(value)
    if isinstance(value, (int, float)):
        return PropertyValue(float(value))
    if isinstance(value, (list, tuple)):
        return PropertyValue([_wire(v) for v in value])
    if isinstance(value, Mapping):
        return PropertyValue({str(k): _wire(v) for k, v in value.items()})
    raise TypeError(f"cannot send a {type(value).__name__} to the engine")


def text(value: PropertyValue | None) -> str | None:
    """A configuration value as text (None when unset, empty or unknown)."""
    if value is None or isinstance(value.value, Computed) or value.value in (None, ""):
        return None
    inner = value.value
    if isinstance(inner, float) and inner.is_integer():
        return str(int(inner))
    return str(inner)
