"""What follows from :mod:`pulumi_vpsorg.spec`: ``schema.json``, the dynamic resources' typed surface
(``_resources.py``) and the reference pages (``docs/reference/``).

    python -m pulumi_vpsorg._generate          # rewrite them
    python -m pulumi_vpsorg._generate --check  # fail, naming the file, when a committed one differs

The SDKs under ``sdk/`` follow from ``schema.json`` (``scripts/sdk generate``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from typing import Any

from ._version import __version__
from .spec import PACKAGE, SNAPSHOT_INFO, Function, Prop, Resource, Setting, camel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INFO_TYPE = "vpsorg:index:SnapshotInfo"

# ----- schema.json -------------------------------------------------------------------------------------------------


def _type(prop: Prop) -> dict[str, Any]:
    if prop.type == "duration":
        return {"oneOf": [{"type": "number"}, {"type": "string"}]}
    if prop.type == "list":
        return {"type": "array", "items": {"$ref": "pulumi.json#/Any"}}
    if prop.type == "snapshots":
        return {"type": "array", "items": {"$ref": f"#/types/{INFO_TYPE}"}}
    return {"type": prop.type}


def _property(prop: Prop, description: str, *, replace: bool, default: bool) -> dict[str, Any]:
    kind = _type(prop)
    out: dict[str, Any] = {k: kind.pop(k) for k in ("type", "oneOf") if k in kind}
    out.update(description=description, **kind)
    if replace and prop.change == "replace":
        out["replaceOnChanges"] = True
    if default and prop.default is not None:
        out["default"] = prop.default
    return out


def _inputs(props: Iterable[Prop], *, replace: bool = True) -> dict[str, Any]:
    return {camel(p.name): _property(p, p.input, replace=replace, default=True) for p in props if p.input is not None}


def _outputs(props: Iterable[Prop]) -> dict[str, Any]:
    return {camel(p.name): _property(p, p.output, replace=True, default=False) for p in props if p.output is not None}


def _resource(resource: Resource) -> dict[str, Any]:
    return {
        "description": resource.description,
        "type": "object",
        "inputProperties": _inputs(resource.inputs),
        "requiredInputs": [camel(p.name) for p in resource.inputs if p.required],
        "properties": _outputs(resource.outputs),
        "required": [camel(p.name) for p in resource.outputs if p.always],
    }


def _function(function: Function) -> dict[str, Any]:
    inputs: dict[str, Any] = {"properties": _inputs(function.args, replace=False)}
    required = [camel(p.name) for p in function.args if p.required]
    if required:
        inputs["required"] = required
    outputs = {
        "properties": _outputs(function.returns),
        "required": [camel(p.name) for p in function.returns if p.always],
    }
    return {"description": function.description, "inputs": inputs, "outputs": outputs}


def _setting(setting: Setting, *, provider: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": setting.type,
        "description": setting.provider_description if provider else setting.description,
    }
    if setting.secret:
        out["secret"] = True
    if setting.default is not None and not provider:
        out["default"] = setting.default
    if not provider or setting.in_state_from_environment:
        out["defaultInfo"] = {"environment": [setting.environment]}
    return out


def schema() -> dict[str, Any]:
    info = PACKAGE.info
    head = {k: info[k] for k in ("name", "displayName")}
    head["version"] = __version__
    head.update({k: info[k] for k in ("description", "keywords", "license", "publisher")})
    return {
        **head,
        "config": {
            "variables": {camel(s.name): _setting(s, provider=False) for s in PACKAGE.settings},
            "defaults": [],
        },
        "provider": {
            "description": info["provider_description"],
            "type": "object",
            "inputProperties": {camel(s.name): _setting(s, provider=True) for s in PACKAGE.settings},
        },
        "resources": {r.token: _resource(r) for r in PACKAGE.resources},
        "language": info["language"],
        "types": {
            INFO_TYPE: {
                "type": "object",
                "description": "A snapshot as VPS.org lists it.",
                "properties": _outputs(SNAPSHOT_INFO),
                "required": [camel(p.name) for p in SNAPSHOT_INFO if p.always],
            }
        },
        "functions": {f.token: _function(f) for f in PACKAGE.functions},
    }


def schema_text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


# ----- the dynamic resources' typed surface --------------------------------------------------------------------------

_PY_TYPES = {
    "integer": "int",
    "string": "str",
    "boolean": "bool",
    "duration": "str | float",
    "list": "list[Any]",
    "snapshots": "list[dict[str, Any]]",
}
_PY_INPUTS = {**_PY_TYPES, "list": "Sequence[Any]"}


def python_doc(text: str, props: Iterable[Prop] = ()) -> str:
    """A description as Python readers read it: backticked property names in snake_case."""
    names = {camel(p.name): p.name for p in props}
    return re.sub(r"`([^`]+)`", lambda m: f"``{names.get(m.group(1), m.group(1))}``", text)


def _wrap(text: str, indent: str, hang: str = "", width: int = 116) -> list[str]:
    """``text`` in lines of at most ``width`` characters, each after ``indent`` (and ``hang`` after the first)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        prefix = indent + (hang if lines else "")
        if line and len(prefix) + len(line) + 1 + len(word) > width:
            lines.append(prefix + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(indent + (hang if lines else "") + line)
    return lines


def _input_annotation(prop: Prop) -> str:
    kind = f"pulumi.Input[{_PY_INPUTS[prop.type]}]"
    return kind if prop.required else f"{kind} | None = None"


def _resource_source(resource: Resource) -> list[str]:
    name, props = resource.name, resource.props
    inputs = resource.inputs
    args = f"{name}Args"
    out = [
        "",
        "",
        "@dataclass(frozen=True)",
        f"class {args}:",
        f'    """The inputs of a :class:`{name}`.',
        "",
        "    Attributes:",
    ]
    for p in inputs:
        out += _wrap(f"{p.name}: {python_doc(p.input or '', props)}", "        ", "    ")
    out += ['    """', ""]
    out += [f"    {p.name}: {_input_annotation(p)}" for p in sorted(inputs, key=lambda p: not p.required)]
    out += ["", "", f'class {name}(pulumi.dynamic.Resource, module="vpsorg", name="{name}"):']
    usage = (
        f"Either ``{name}(name, {args}(...), opts)`` or ``{name}(name, <inputs as keywords>, opts=...)``; the "
        f"lifecycle, step by step: docs/reference/{_page(resource)}."
    )
    out += _docstring(_wrap(python_doc(resource.description, props), "    ") + [""] + _wrap(usage, "    "))
    out += [""]
    out += [
        "    # For type checkers only: at run time the SDK would resolve these annotations again "
        "(typing.get_type_hints)",
        "    # for every resource it registers, a cost that grows with the fleet (docs/fleets.md).",
    ]
    out += ["    if TYPE_CHECKING:"]
    for p in resource.outputs:
        kind = _PY_TYPES[p.type] if p.always else f"{_PY_TYPES[p.type]} | None"
        out += [f"        {p.name}: pulumi.Output[{kind}]"]
        out += _docstring(_wrap(python_doc(p.output or "", props), "        "))
    out += ["", "    @overload"]
    out += [
        f"    def __init__(self, resource_name: str, args: {args}, "
        "opts: pulumi.ResourceOptions | None = None) -> None: ..."
    ]
    out += ["", "    @overload", "    def __init__(", "        self,", "        resource_name: str,", "        *,"]
    out += [f"        {p.name}: {_input_annotation(p)}," for p in sorted(inputs, key=lambda p: not p.required)]
    out += ["        opts: pulumi.ResourceOptions | None = None,", "    ) -> None: ..."]
    required = ", ".join(f"``{p.name}``" for p in inputs if p.required)
    optional = ", ".join(f"``{p.name}``" for p in inputs if not p.required)
    out += [
        "",
        "    def __init__(",
        "        self,",
        "        resource_name: str,",
        f"        args: {args} | None = None,",
        "        opts: pulumi.ResourceOptions | None = None,",
        "        **kwargs: Any,",
        "    ) -> None:",
        '        """',
        "        :param resource_name: the Pulumi resource name.",
        *_wrap(
            f":param args: the inputs (see :class:`{args}`), or give them as keywords: {required} (required), "
            f"{optional}.",
            "        ",
            "    ",
        ),
        "        :param opts: resource options.",
        '        """',
        f'        _register(self, resource_name, _spec.PACKAGE.resource("{name}"), args, kwargs, opts)',
    ]
    if resource.readable:
        out += [
            "",
            "    @staticmethod",
            "    def get(",
            "        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None",
            f"    ) -> {name}:",
            f'        """Look up an existing {name.lower()} by id, read-only: Pulumi reads it and never creates or '
            'deletes it."""',
            f"        found = {name}.__new__({name})",
            "        _register(",
            f'            found, resource_name, _spec.PACKAGE.resource("{name}"), None, {{}}, opts, id=id',
            "        )",
            "        return found",
        ]
    return out


def _docstring(lines: list[str]) -> list[str]:
    """``lines`` as a docstring: quotes before the first line and after the last (on a line of their own after
    paragraphs, or where they would not fit)."""
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    lines = [indent + '"""' + lines[0].lstrip(), *lines[1:]]
    if "" in lines or len(lines[-1]) + 3 > 120:
        return [*lines, indent + '"""']
    return [*lines[:-1], lines[-1] + '"""']


def resources_source() -> str:
    out = [
        '"""The dynamic resources\' typed surface: ``Args`` classes, constructors and outputs, generated from',
        ":mod:`pulumi_vpsorg.spec` by ``python -m pulumi_vpsorg._generate``. Do not edit: change the spec and",
        'regenerate (a test fails when this file differs from what the spec makes)."""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Sequence",
        "from dataclasses import dataclass",
        "from typing import TYPE_CHECKING, Any, overload",
        "",
        "import pulumi",
        "import pulumi.dynamic",
        "",
        "from . import spec as _spec",
        "from ._register import register as _register",
    ]
    for resource in PACKAGE.resources:
        out += _resource_source(resource)
    return _formatted("\n".join(out) + "\n")


def _formatted(source: str) -> str:
    """``source`` as ``ruff format`` leaves it (the lint runs it over the committed file)."""
    ruff = os.path.join(os.path.dirname(sys.executable), "ruff")
    with tempfile.NamedTemporaryFile("w", suffix=".py", dir=os.path.join(ROOT, "pulumi_vpsorg"), delete=False) as f:
        f.write(source)
    try:
        subprocess.run([ruff, "format", "--quiet", f.name], check=True, cwd=ROOT)
        with open(f.name, encoding="utf-8") as formatted:
            return formatted.read()
    finally:
        os.unlink(f.name)


# ----- the reference pages -----------------------------------------------------------------------------------------


def _page(resource: Resource | Function) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", resource.name).lower() + ".md"


def _type_name(prop: Prop) -> str:
    return {
        "integer": "integer",
        "string": "string",
        "boolean": "boolean",
        "duration": "number or duration string",
        "list": "list of any",
        "snapshots": "list of SnapshotInfo",
    }[prop.type]


def _table(rows: list[tuple[str, ...]], head: tuple[str, ...]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return out


def _names(prop: Prop) -> str:
    return f"`{prop.name}`" if camel(prop.name) == prop.name else f"`{camel(prop.name)}` / `{prop.name}`"


def _input_rows(props: Iterable[Prop]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for p in props:
        if p.input is None:
            continue
        notes = ["required" if p.required else "optional"]
        if p.change == "replace":
            notes.append("replaces")
        if p.default is not None:
            notes.append(f"default {str(p.default).lower()}")
        rows.append((_names(p), _type_name(p), ", ".join(notes), p.input))
    return rows


def _output_rows(props: Iterable[Prop]) -> list[tuple[str, ...]]:
    return [
        (_names(p), _type_name(p), "always" if p.always else "may be unset", p.output)
        for p in props
        if p.output is not None
    ]


def resource_page(resource: Resource) -> str:
    out = [
        f"# {resource.name}",
        "",
        "<!-- Generated from pulumi_vpsorg/spec.py by `python -m pulumi_vpsorg._generate`: edit the spec, not this"
        " page. -->",
        "",
        f"`{resource.token}` (the plugin, every SDK) · `pulumi_vpsorg.{resource.name}` (Python programs, no plugin)",
        "",
        resource.description,
        "",
        "## Lifecycle",
        "",
        *[f"- **{step}**: {text}" for step, text in resource.lifecycle],
        "",
    ]
    for example in resource.examples:
        out += [f"## Example: {example.title}", ""]
        for language, code in (("python", example.python), ("yaml", example.yaml), ("typescript", example.typescript)):
            out += [f"```{language}", code.rstrip("\n"), "```", ""]
    out += ["## Inputs", "", "Names: the schema's (YAML, TypeScript, Go) / Python's.", ""]
    out += _table(_input_rows(resource.inputs), ("input", "type", "", "description"))
    out += ["", "## Outputs", ""]
    out += _table(_output_rows(resource.outputs), ("output", "type", "", "description"))
    return "\n".join(out) + "\n"


def functions_page() -> str:
    out = [
        "# Functions",
        "",
        "<!-- Generated from pulumi_vpsorg/spec.py by `python -m pulumi_vpsorg._generate`: edit the spec, not this"
        " page. -->",
        "",
        "Served by the plugin (every SDK, YAML's `fn::invoke`); Python programs without the plugin use "
        "`Client.snapshot_listing` or `vpsorg snapshots list`.",
        "",
    ]
    for function in PACKAGE.functions:
        out += [f"## {function.name}", "", f"`{function.token}`", "", function.description, "", "Arguments:", ""]
        out += _table(_input_rows(function.args), ("argument", "type", "", "description"))
        out += ["", "Result:", ""]
        out += _table(_output_rows(function.returns), ("field", "type", "", "description"))
        out += [""]
    out += ["## SnapshotInfo", "", "A snapshot as the functions return it.", ""]
    out += _table(_output_rows(SNAPSHOT_INFO), ("field", "type", "", "description"))
    return "\n".join(out) + "\n"


def index_page() -> str:
    out = [
        "# Reference",
        "",
        "<!-- Generated from pulumi_vpsorg/spec.py by `python -m pulumi_vpsorg._generate`: edit the spec, not this"
        " page. -->",
        "",
        "Each resource's inputs, outputs, steps and examples (Python, YAML, TypeScript), as `schema.json` declares them"
        " for every SDK and the Python resources implement them.",
        "",
    ]
    out += [f"- [{r.name}]({_page(r)}) (`{r.token}`): {r.description.split('. ')[0]}." for r in PACKAGE.resources]
    out += [f"- [Functions](functions.md): {', '.join(f'`{f.name}`' for f in PACKAGE.functions)}."]
    return "\n".join(out) + "\n"


def generated() -> dict[str, str]:
    """Each generated file (path from the repository root) and what the spec makes of it."""
    files = {
        "pulumi_vpsorg/schema.json": schema_text(),
        "pulumi_vpsorg/_resources.py": resources_source(),
        "docs/reference/functions.md": functions_page(),
        "docs/reference/README.md": index_page(),
    }
    for resource in PACKAGE.resources:
        files[f"docs/reference/{_page(resource)}"] = resource_page(resource)
    return files


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path, text in generated().items():
        full = os.path.join(ROOT, path)
        try:
            with open(full, encoding="utf-8") as f:
                current: str | None = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        stale.append(path)
        if not check:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
    if check and stale:
        print(
            f"generate: {', '.join(stale)} differ from what pulumi_vpsorg/spec.py makes: run "
            "`python -m pulumi_vpsorg._generate` and commit.",
            file=sys.stderr,
        )
        return 1
    for path in stale if not check else ():
        print(f"generate: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
