"""How the typed surface (``_resources.py``, generated) registers a dynamic resource: its properties from the
``Args`` object or the keywords (every output starts unset), what its front door adds about where it is declared,
and its provider (a class in ``snapshot`` / ``restore``, pickled into state by reference)."""

from __future__ import annotations

import importlib
from typing import Any

import pulumi
import pulumi.dynamic

from ._program import end_quietly_when_cancelled
from .spec import Resource

_DOORS = {
    "Snapshot": "snapshot",
    "SnapshotRestore": "restore",
    "SnapshotSeries": "series",
}  # resource -> the module with its provider


def register(
    resource: pulumi.dynamic.Resource,
    resource_name: str,
    declared: Resource,
    args: Any,
    kwargs: dict[str, Any],
    opts: pulumi.ResourceOptions | None,
    *,
    id: pulumi.Input[str] | None = None,
) -> None:
    door = importlib.import_module(f".{_DOORS[declared.name]}", __package__)
    props = properties(declared, args, kwargs)
    props.update(door.declared_at(resource_name))
    if id is not None:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
    end_quietly_when_cancelled()
    pulumi.dynamic.Resource.__init__(resource, door.provider(), resource_name, props, opts)


def properties(declared: Resource, args: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A resource's properties from its ``Args`` object or its keyword inputs (outputs start as None)."""
    inputs = [p.name for p in declared.inputs]
    unknown = set(kwargs) - set(inputs)
    if unknown:
        raise TypeError(f"{declared.name}() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
    given = {**({k: getattr(args, k) for k in inputs} if args is not None else {}), **kwargs}
    props: dict[str, Any] = {p.name: None for p in declared.outputs}
    props.update({k: given.get(k) for k in inputs})
    return props
