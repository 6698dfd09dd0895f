"""The package declared once: each resource's and function's properties, types, rules, descriptions and replace /
update semantics, and the provider's configuration.

Everything else follows from here: the dynamic resources' checks, diffs and typed surface (``_resources.py``,
generated), the native plugin's checks and diffs, ``schema.json`` (and so the SDKs), and the reference pages in
``docs/reference/`` (``python -m pulumi_vpsorg._generate`` writes the generated files; tests fail when a committed
one differs). A property is added here, in one place.

Names are snake_case here, as Python programs write them; the schema, the plugin and every other language use the
camelCase form (:func:`camel`). A rule is given the name in the spelling of the front door that checks, so a
message names the property as the user wrote it. No ``pulumi.dynamic`` here: this module is neutral.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN as UNKNOWN_WIRE

from .durations import parse_duration
from .errors import VpsorgError
from .rules import positive_int, snapshot_name_problem

Rule = Callable[[str, Any], tuple[Any, "str | None"]]
"""A property's rule: given its name (as the user spells it) and value, the value normalised and why it is refused
(None when it is fine)."""

Type = Literal["integer", "string", "boolean", "duration", "list", "snapshots"]
Change = Literal["replace", "update", "none"]
Spell = Callable[[str], str]

_UNDERSCORE = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """``server_id`` -> ``serverId``: the schema's (and every other language's) name of a property."""
    return _UNDERSCORE.sub(lambda m: m.group(1).upper(), name)


def snake(name: str) -> str:
    """The spelling Python programs use: names are declared that way."""
    return name


# ----- rules ---------------------------------------------------------------------------------------------------


def positive(what: str) -> Rule:
    """A whole number from 1 to 2**53 - 1 (numbers arrive as floats; digit strings pass)."""
    return lambda name, value: positive_int(name, value, what)


def of_type(kind: type | tuple[type, ...], what: str) -> Rule:
    def rule(name: str, value: Any) -> tuple[Any, str | None]:
        if isinstance(value, kind):
            return value, None
        return None, f"{name} must be {what}, got {type(value).__name__} {repr(value)[:60]}"

    return rule


def duration() -> Rule:
    """Kept as given (state shows what the user wrote), checked as a duration."""

    def rule(name: str, value: Any) -> tuple[Any, str | None]:
        try:
            parse_duration(value)
        except ValueError as e:
            return None, f"{name} {e}"
        return value, None

    return rule


def snapshot_name() -> Rule:
    return lambda _name, value: (value, snapshot_name_problem(value))


SERIES_PREFIX_MAX = 200  # the UTC time and a hyphen follow: the name stays within VPS.org's 255


def series_prefix() -> Rule:
    def rule(name: str, value: Any) -> tuple[Any, str | None]:
        problem = snapshot_name_problem(value)
        if problem is None and len(value) > SERIES_PREFIX_MAX:
            problem = f"must be at most {SERIES_PREFIX_MAX} characters, got {len(value)}"
        elif problem is not None:
            problem = problem.removeprefix("name ")
        return (value, None) if problem is None else (None, f"{name} {problem}")

    return rule


def whole_number(low: int, high: int, what: str) -> Rule:
    def rule(name: str, value: Any) -> tuple[Any, str | None]:
        number, reason = positive_int(name, value, what)
        if reason is None and number is not None and low <= number <= high:
            return number, None
        shown = int(value) if isinstance(value, float) and value.is_integer() else value
        return None, f"{name} must be {what} from {low} to {high}, got {str(shown)[:40]}"

    return rule


# ----- declarations ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prop:
    """One property. ``input`` / ``output``: its description as an input / an output (None: not one)."""

    name: str
    type: Type
    input: str | None = None
    output: str | None = None
    rule: Rule | None = None
    required: str | None = None  # a required input: what to tell a user who left it out
    default: bool | None = None  # the default the schema shows
    change: Change = "none"  # what a new value does to the resource
    always: bool = False  # an output every resource has (the schema's `required`)


@dataclass(frozen=True)
class Example:
    """One use of a resource, in each language its reference page shows."""

    title: str
    python: str
    yaml: str
    typescript: str


@dataclass(frozen=True)
class Resource:
    name: str
    description: str
    lifecycle: tuple[tuple[str, str], ...]  # (step, what it does), as the reference page lists them
    props: tuple[Prop, ...]
    examples: tuple[Example, ...] = ()
    delete_before_replace: bool = False  # a replacement deletes the old one first
    readable: bool = False  # read asks the API: ``Resource.get`` and ``pulumi import`` look one up by id

    @property
    def token(self) -> str:
        return f"vpsorg:index:{self.name}"

    @property
    def inputs(self) -> tuple[Prop, ...]:
        return tuple(p for p in self.props if p.input is not None)

    @property
    def outputs(self) -> tuple[Prop, ...]:
        return tuple(p for p in self.props if p.output is not None)

    def names(self, change: Change) -> tuple[str, ...]:
        """The inputs whose new value does ``change`` (replace, or update in place)."""
        return tuple(p.name for p in self.inputs if p.change == change)


@dataclass(frozen=True)
class Function:
    name: str
    description: str
    args: tuple[Prop, ...]
    returns: tuple[Prop, ...]

    @property
    def token(self) -> str:
        return f"vpsorg:index:{self.name}"


@dataclass(frozen=True)
class Setting:
    """A provider setting: stack config ``vpsorg:<name>`` and the explicit provider's input of the same name."""

    name: str
    type: Literal["string", "number"]
    description: str
    provider_description: str
    environment: str
    secret: bool = False
    default: str | None = None
    in_state_from_environment: bool = True  # an explicit provider records its environment default in state


@dataclass(frozen=True)
class Package:
    resources: tuple[Resource, ...]
    functions: tuple[Function, ...]
    settings: tuple[Setting, ...]
    info: Mapping[str, Any] = field(default_factory=dict)

    def resource(self, token: str) -> Resource:
        return next(r for r in self.resources if token in (r.token, r.name))


# ----- checking, for both front doors -----------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    """A preview value not known yet (``pulumi.output.Unknown``, or its wire form)."""
    return isinstance(value, Unknown) or value == UNKNOWN_WIRE


def check(
    props: Mapping[str, Any], declared: tuple[Prop, ...], spell: Spell = snake, *, optional: bool = False
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The one parse of a resource's (or function's) inputs: their known values normalised (an unknown preview value
    passes unchecked) and a ``(property, reason)`` per bad one, the property named by ``spell`` in both.
    ``optional``: state read back (refresh, delete, ``get``) may lack what inputs require."""
    values: dict[str, Any] = {}
    failures: list[tuple[str, str]] = []
    for prop in declared:
        if prop.rule is None:
            continue
        value = props.get(prop.name)
        if value is None:
            if prop.required and not optional:
                failures.append((spell(prop.name), f"{spell(prop.name)} is required: {prop.required}"))
            continue
        if is_unknown(value):
            values[prop.name] = value
            continue
        normal, reason = prop.rule(spell(prop.name), value)
        if reason:
            failures.append((spell(prop.name), reason))
        else:
            values[prop.name] = normal
    return values, failures


def parsed(
    props: Mapping[str, Any], declared: tuple[Prop, ...], spell: Spell = snake, *, optional: bool = False
) -> dict[str, Any]:
    """:func:`check` in a step, after the engine's check passed: a failure now is a hand-edited state, said plainly."""
    values, failures = check(props, declared, spell, optional=optional)
    if failures:
        raise VpsorgError("; ".join(reason for _, reason in failures) + ". Fix the program's inputs and run again.")
    return values


class Done(NamedTuple):
    """What a step that makes or reads a resource returns, for each front door to adapt: the id ("" when the
    resource is gone) and the outputs (snake_case)."""

    id: str
    outs: dict[str, Any]


def changed(resource: Resource, change: Change, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The inputs doing ``change`` whose value differs between state and new inputs; an unknown value may differ."""
    return [
        p.name
        for p in resource.inputs
        if p.change == change and (is_unknown(news.get(p.name)) or not same(p, olds.get(p.name), news.get(p.name)))
    ]


def same(prop: Prop, old: Any, new: Any) -> bool:
    """Whether two values of ``prop`` mean the same: ids by number (state holds floats), an unset text as empty,
    lists by what they hold (whole-number floats as ints)."""
    from .rules import normal_value

    if prop.type == "integer":
        return as_int(old) == as_int(new)
    if prop.type == "string":
        return bool((old or "") == (new or ""))
    return bool(normal_value(old if old is not None else []) == normal_value(new if new is not None else []))


def as_int(value: Any) -> int | None:
    """An id from state or checked inputs (float, int or digit string) as int."""
    if value is None or value == "" or is_unknown(value):
        return None
    return int(float(value))


# ----- the package -----------------------------------------------------------------------------------------------

_DURATION = "seconds, or a duration such as `90s`, `20m`, `1h`"

SNAPSHOT = Resource(
    name="Snapshot",
    description=(
        "A snapshot of a VPS.org server. Create takes it (adopting an existing snapshot of the same name on the "
        "server) and waits until it is `completed`; read lists the server's snapshots; delete deletes it. A server "
        "holds at most 5 snapshots. A change of `serverId` or `name` takes a new snapshot; a change of `description` "
        "is recorded in state only and never replaces the snapshot (VPS.org cannot change one, and a new one would "
        "hold the server as it is now)."
    ),
    lifecycle=(
        ("preview, check, diff", "Validate the inputs offline: no token, no API call."),
        (
            "create",
            "List the server's snapshots; adopt one with the same name (`adopted` is true), or fail at the "
            "5-per-server limit naming those that exist; else `POST /snapshots/` and wait until `completed` "
            "(`waitTimeout`, or `customTimeouts.create` through the plugin). A create that timed out is adopted by "
            "the next `pulumi up`: never a second snapshot of the same name.",
        ),
        ("update", "Records a new `description` in state; sends nothing. `waitTimeout` alone changes nothing."),
        (
            "read (refresh)",
            "Lists the server's snapshots and finds the id. Dropped from state only when a complete list lacks it "
            "and no other server lists it; when the list is incomplete the state is kept, with a warning.",
        ),
        (
            "delete",
            "`DELETE /snapshots/{id}/` (waiting first while it is being created); already gone is fine. A snapshot "
            "adopted from another stack (`managedBy`) is left in place.",
        ),
        (
            "import",
            "`pulumi import vpsorg:index:Snapshot NAME ID`: reads the snapshot by id; one that does not exist fails.",
        ),
    ),
    props=(
        Prop("snapshot_id", "integer", output="The snapshot's id (also the resource id, as a string).", always=True),
        Prop(
            "server_id",
            "integer",
            input="The server to snapshot.",
            output="The server the snapshot belongs to.",
            rule=positive("a server id"),
            required="the id of the server to snapshot, such as 12345",
            change="replace",
            always=True,
        ),
        Prop("server_name", "string", output="The server's name."),
        Prop(
            "name",
            "string",
            input="Snapshot name: letters, digits, hyphens and underscores, at most 255 characters.",
            output="The snapshot's name.",
            rule=snapshot_name(),
            required="letters, digits, hyphens and underscores, such as 'pre-upgrade'",
            change="replace",
            always=True,
        ),
        Prop(
            "description",
            "string",
            input="Free text shown in the VPS.org panel, sent when the snapshot is taken. Changing it later updates "
            "state only: the snapshot is kept.",
            output="The snapshot's description.",
            rule=of_type(str, "a string"),
            change="update",
        ),
        Prop(
            "status",
            "string",
            output="`completed` after create; refresh shows what the API reports now.",
            always=True,
        ),
        Prop("size_mb", "integer", output="Size in MB, once completed."),
        Prop("created_at", "string", output="When the snapshot was made (ISO 8601, UTC)."),
        Prop(
            "wait_timeout",
            "duration",
            input=f"How long create waits for `completed`: {_DURATION}. Default `1h`; the resource option "
            "`customTimeouts.create` (and `.delete`) takes precedence. Changing it alone changes nothing.",
            output="The wait timeout given as input.",
            rule=duration(),
        ),
        Prop(
            "adopted",
            "boolean",
            output="True when an existing snapshot of the same name was taken under management.",
            always=True,
        ),
        Prop(
            "managed_by",
            "string",
            output="The other stack that took the snapshot, when this resource adopted it from that stack: destroy "
            "then leaves it in place. Unset when this stack took it.",
        ),
    ),
    readable=True,
    examples=(
        Example(
            "A snapshot before an upgrade",
            python="""\
import pulumi
from pulumi_vpsorg import Snapshot

snap = Snapshot("pre-upgrade", server_id=12345, name="pre-upgrade-2026-12", description="before the kernel upgrade")
pulumi.export("snapshotId", snap.snapshot_id)
""",
            yaml="""\
resources:
  preUpgrade:
    type: vpsorg:index:Snapshot
    properties:
      serverId: 12345
      name: pre-upgrade-2026-12
      description: before the kernel upgrade
outputs:
  snapshotId: ${preUpgrade.snapshotId}
""",
            typescript="""\
import * as vpsorg from "@pulumi-vpsorg/vpsorg";

const snap = new vpsorg.Snapshot("pre-upgrade", {
    serverId: 12345,
    name: "pre-upgrade-2026-12",
    description: "before the kernel upgrade",
});
export const snapshotId = snap.snapshotId;
""",
        ),
    ),
)

RESTORE = Resource(
    name="SnapshotRestore",
    description=(
        "Restores a server from a snapshot, once per value of `triggers`. DANGER: overwrites all data on the "
        "snapshot's server and stops it first. Create takes a safety snapshot of the server as it is now (unless "
        "`safetySnapshot` is false) and waits until it is completed, then sends exactly one restore request (then "
        "waits, with `wait`). The safety snapshot is named after the resource and its triggers: a re-run that finds "
        "it completed (an interrupted run, on any machine) never sends the restore again. Only a change of "
        "`triggers` replaces the resource and restores again; a new `snapshotId` alone is recorded and restores "
        "nothing. Preview and refresh never restore; delete does nothing (the snapshots are left alone). To undo, "
        "restore `safetySnapshotId`."
    ),
    lifecycle=(
        ("preview, check, diff", "Validate the inputs offline; never restores, never calls the API."),
        (
            "create",
            "With `safetySnapshot` (the default): take a snapshot of the server as it is now and wait until it is "
            "completed, then exactly one `POST /snapshots/{id}/restore/`, never retried. A re-run that finds this "
            "resource's safety snapshot completed (an interrupted run, on any machine) never sends the restore again. "
            "A server `restoring` with no safety snapshot of ours is someone else's restore: refused, nothing sent. "
            "Once the restore may have reached VPS.org, create succeeds and records it (any doubt in `message`). "
            "Then, with `wait`, wait until the server is no longer `restoring`. All within `waitTimeout`.",
        ),
        (
            "update",
            "A new `snapshotId` is recorded as the target and restores nothing (`message` says so); `wait`, "
            "`waitTimeout` and `safetySnapshot` alone change nothing.",
        ),
        ("read (refresh)", "Returns the recorded state; never restores, never calls the API."),
        ("delete", "Does nothing: the snapshot and the safety snapshot stay, and the restore is not undone."),
    ),
    props=(
        Prop(
            "snapshot_id",
            "integer",
            input="The snapshot to restore; its own server is overwritten. A new value alone restores nothing: change "
            "`triggers` to restore it.",
            output="The `snapshotId` input: the target (a new value alone restores nothing).",
            rule=positive("a snapshot id"),
            required="the id of the snapshot to restore",
            change="update",
            always=True,
        ),
        Prop(
            "triggers",
            "list",
            input="Any values; when they change the resource is replaced and the restore runs again (the only change "
            "that restores).",
            output="The triggers of this restore.",
            rule=of_type((list, tuple), "a list"),
            change="replace",
        ),
        Prop(
            "wait",
            "boolean",
            input="Wait until the server is no longer `restoring` (default true).",
            output="Whether create waited for the server.",
            rule=of_type(bool, "true or false"),
            default=True,
        ),
        Prop(
            "wait_timeout",
            "duration",
            input="How long the whole restore may take, safety snapshot included: seconds, or a duration such as "
            "`20m`. Default `1h`; `customTimeouts.create` takes precedence.",
            output="The wait timeout given as input.",
            rule=duration(),
        ),
        Prop(
            "safety_snapshot",
            "boolean",
            input="First take a snapshot of the server as it is now and wait until it is completed: the way back, and "
            "the record that stops a re-run from restoring twice (default true). At the 5-per-server limit room is "
            "made only by deleting an older safety snapshot.",
            output="The `safetySnapshot` input, as given.",
            rule=of_type(bool, "true or false"),
            default=True,
        ),
        Prop("restored_snapshot_id", "integer", output="The snapshot this resource restored.", always=True),
        Prop(
            "safety_snapshot_id",
            "integer",
            output="The safety snapshot taken before the restore: the server as it was. Restore it to undo (point "
            "`snapshotId` at it and change `triggers`, or `vpsorg rollback --undo`).",
        ),
        Prop("server_id", "integer", output="The server that was restored.", always=True),
        Prop("server_name", "string", output="The server's name."),
        Prop(
            "server_status",
            "string",
            output="The server's status when create finished (`active` after a finished restore; `restoring` if the "
            "wait ran out).",
        ),
        Prop("message", "string", output="What the API said, plus a note if the wait ran out."),
        Prop("restored_at", "string", output="When the restore request was sent (ISO 8601, UTC).", always=True),
    ),
    examples=(
        Example(
            "Restore when asked, once per incident",
            python="""\
import pulumi
from pulumi_vpsorg import SnapshotRestore

# Restores on the `pulumi up` that creates it, and again only when `triggers` change: declare it when a rollback
# is wanted (README's rollback recipe drives it from stack config).
rollback = SnapshotRestore("rollback", snapshot_id=801, triggers=["incident-42"])
pulumi.export("undoWith", rollback.safety_snapshot_id)
""",
            yaml="""\
resources:
  rollback:
    type: vpsorg:index:SnapshotRestore
    properties:
      snapshotId: 801
      triggers: ["incident-42"]
outputs:
  undoWith: ${rollback.safetySnapshotId}
""",
            typescript="""\
import * as vpsorg from "@pulumi-vpsorg/vpsorg";

const rollback = new vpsorg.SnapshotRestore("rollback", { snapshotId: 801, triggers: ["incident-42"] });
export const undoWith = rollback.safetySnapshotId;
""",
        ),
    ),
    delete_before_replace=True,
)

SERIES = Resource(
    name="SnapshotSeries",
    description=(
        "A series of snapshots of one server: one taken on create and on every change of `triggers`, the newest "
        "`keep` kept, the oldest of the series deleted first. Declare your change after it (`dependsOn`) and every "
        "deploy that changes the triggers first takes a snapshot to roll back to (`latestSnapshotId`). Only the "
        "series' own snapshots are ever deleted (they carry its mark in their description): never one made by hand "
        "or by another resource, never the newest, never one a `SnapshotRestore` restored (named by a safety "
        "snapshot of the server)."
    ),
    lifecycle=(
        ("preview, check, diff", "Validate the inputs offline: no token, no API call."),
        (
            "create, and update with new `triggers`",
            "List the server's snapshots. If one more would pass `keep` or the server's 5-snapshot limit, delete the "
            "oldest of the series first; if the server is full of snapshots that are not the series', fail before "
            "anything is sent, naming them. Then take `<namePrefix>-<UTC time>-<take>` and wait until `completed`. "
            "A take that failed, timed out or was interrupted is adopted by the next `pulumi up` (its mark names "
            "the trigger value): never a second snapshot for one change.",
        ),
        (
            "update",
            "A new `keep` deletes the oldest of the series beyond it; `description` and `waitTimeout` alone change "
            "nothing (the description goes with the next snapshot).",
        ),
        (
            "read (refresh)",
            "Lists the server's snapshots: the series as VPS.org has it. A snapshot deleted by hand drops out only "
            "when a complete list lacks it.",
        ),
        ("delete", "Deletes the series' snapshots (the resource option `retainOnDelete` keeps them)."),
        (
            "import",
            "`pulumi import vpsorg:index:SnapshotSeries NAME SERVER_ID/NAME_PREFIX`: the series' snapshots on that "
            "server.",
        ),
    ),
    props=(
        Prop(
            "server_id",
            "integer",
            input="The server to snapshot.",
            output="The server.",
            rule=positive("a server id"),
            required="the id of the server to snapshot, such as 12345",
            change="replace",
            always=True,
        ),
        Prop(
            "name_prefix",
            "string",
            input="The start of every name in the series: `<namePrefix>-<UTC time>-<take>`, such as "
            "`app-20261207T101500Z-3f9a1c` (letters, digits, hyphens and underscores, at most 200 characters).",
            output="The start of every name in the series.",
            rule=series_prefix(),
            required="letters, digits, hyphens and underscores, such as 'app'",
            change="replace",
            always=True,
        ),
        Prop(
            "keep",
            "integer",
            input="How many of the series' snapshots to keep, newest first: 1 to 5.",
            output="How many of the series' snapshots are kept.",
            rule=whole_number(1, 5, "a number of snapshots"),
            required="how many snapshots to keep, 1 to 5",
            change="update",
            always=True,
        ),
        Prop(
            "triggers",
            "list",
            input="Any values; when they change the series takes a new snapshot (such as the version you deploy).",
            output="The triggers of the latest snapshot.",
            rule=of_type((list, tuple), "a list"),
            change="update",
        ),
        Prop(
            "description",
            "string",
            input="Free text shown in the VPS.org panel, sent with each new snapshot.",
            output="The description given as input.",
            rule=of_type(str, "a string"),
        ),
        Prop(
            "wait_timeout",
            "duration",
            input=f"How long a take waits for `completed`: {_DURATION}. Default `1h`; `customTimeouts` take "
            "precedence through the plugin.",
            output="The wait timeout given as input.",
            rule=duration(),
        ),
        Prop("latest_snapshot_id", "integer", output="The series' newest snapshot: the one to roll back to."),
        Prop("latest_name", "string", output="Its name."),
        Prop(
            "snapshots",
            "snapshots",
            output="The series' snapshots as VPS.org lists them, newest first.",
            always=True,
        ),
    ),
    examples=(
        Example(
            "A snapshot before every deploy, the last two kept",
            python="""\
import pulumi
from pulumi_vpsorg import SnapshotSeries

version = pulumi.Config().get("appVersion") or "1.0.0"
before = SnapshotSeries("before-deploy", server_id=12345, name_prefix="app", keep=2, triggers=[version])
# ... the deploy, with opts=pulumi.ResourceOptions(depends_on=[before])
pulumi.export("rollbackTo", before.latest_snapshot_id)
""",
            yaml="""\
config:
  appVersion:
    type: string
    default: 1.0.0
resources:
  beforeDeploy:
    type: vpsorg:index:SnapshotSeries
    properties:
      serverId: 12345
      namePrefix: app
      keep: 2
      triggers:
        - ${appVersion}
  # ... the deploy, with options: { dependsOn: [ ${beforeDeploy} ] }
outputs:
  rollbackTo: ${beforeDeploy.latestSnapshotId}
""",
            typescript="""\
import * as pulumi from "@pulumi/pulumi";
import * as vpsorg from "@pulumi-vpsorg/vpsorg";

const version = new pulumi.Config().get("appVersion") ?? "1.0.0";
const before = new vpsorg.SnapshotSeries("before-deploy", {
    serverId: 12345,
    namePrefix: "app",
    keep: 2,
    triggers: [version],
});
// ... the deploy, with { dependsOn: [before] }
export const rollbackTo = before.latestSnapshotId;
""",
        ),
    ),
    readable=True,
)

SNAPSHOT_INFO = (
    Prop("snapshot_id", "integer", output="The snapshot's id.", always=True),
    Prop("server_id", "integer", output="The server it is a snapshot of.", always=True),
    Prop("server_name", "string", output="The server's name."),
    Prop("name", "string", output="The snapshot's name.", always=True),
    Prop("description", "string", output="The description VPS.org keeps."),
    Prop("status", "string", output="`in_progress`, `completed`, or a failed status.", always=True),
    Prop("size_mb", "integer", output="Size in MB, once completed."),
    Prop("created_at", "string", output="When the snapshot was started (ISO 8601, UTC)."),
)
"""A snapshot as the functions return it (the schema's type ``vpsorg:index:SnapshotInfo``)."""

_SERVER_ARG = positive("a server id")
_FILTERS = (
    Prop("name_prefix", "string", input="Only snapshots whose name starts with this.", rule=of_type(str, "a string")),
    Prop(
        "status", "string", input="Only snapshots in this status, such as `completed`.", rule=of_type(str, "a string")
    ),
)

GET_SNAPSHOTS = Function(
    name="getSnapshots",
    description="A server's snapshots, newest first (by `createdAt`, then id), optionally filtered by name prefix and "
    "status. Calls the API, in preview too.",
    args=(
        Prop(
            "server_id",
            "integer",
            input="The server whose snapshots to list.",
            rule=_SERVER_ARG,
            required="the server whose snapshots to list",
        ),
        *_FILTERS,
    ),
    returns=(Prop("snapshots", "snapshots", output="The matching snapshots, newest first.", always=True),),
)

GET_SNAPSHOT = Function(
    name="getSnapshot",
    description="One snapshot: by `snapshotId`; or by `serverId` and `name`; or the newest of `serverId`'s snapshots "
    "matching `namePrefix` and `status` (never a safety snapshot, `vpsorg-safety-...`, unless `name` or `namePrefix` "
    "names one). Fails, naming what it looked for, when none matches. Calls the API, in preview too.",
    args=(
        Prop("snapshot_id", "integer", input="The snapshot's id.", rule=positive("a snapshot id")),
        Prop(
            "server_id",
            "integer",
            input="The server to look on (needed unless `snapshotId` is given).",
            rule=_SERVER_ARG,
        ),
        Prop("name", "string", input="The snapshot's exact name.", rule=of_type(str, "a string")),
        *_FILTERS,
    ),
    returns=SNAPSHOT_INFO,
)

_BUDGET = (
    "Ceiling of the request budget, in requests a second for this provider (0: unpaced). Unset, the rate starts at 10 "
    "a second, grows while VPS.org answers and on a 429 or 503 drops below the rate VPS.org was answering (every "
    "request pausing for its Retry-After)."
)

SETTINGS = (
    Setting(
        "token",
        "string",
        "VPS.org API token (`vps_...`). Set it with `pulumi config set --secret vpsorg:token`. Not needed for "
        "`pulumi preview`.",
        "VPS.org API token; unset, the plugin reads `VPSORG_TOKEN` from its environment when it runs (so a token from "
        "the environment is never stored in state).",
        environment="VPSORG_TOKEN",
        secret=True,
        in_state_from_environment=False,
    ),
    Setting(
        "endpoint",
        "string",
        "VPS.org API base URL.",
        "VPS.org API base URL; defaults to `VPSORG_ENDPOINT`.",
        environment="VPSORG_ENDPOINT",
        default="https://admin.vps.org/api/v1",
    ),
    Setting(
        "max_requests_per_second",
        "number",
        _BUDGET,
        _BUDGET + " Defaults to `VPSORG_MAX_RPS`.",
        environment="VPSORG_MAX_RPS",
    ),
)

PACKAGE = Package(
    resources=(SNAPSHOT, RESTORE, SERIES),
    functions=(GET_SNAPSHOTS, GET_SNAPSHOT),
    settings=SETTINGS,
    info={
        "name": "vpsorg",
        "displayName": "VPS.org",
        "description": "Manage VPS.org server snapshots: take them before risky changes, restore them on purpose. "
        "Served by the plugin `pulumi-resource-vpsorg` (install it with `vpsorg plugin install`); Python programs can "
        "instead use the dynamic resources `pulumi_vpsorg.Snapshot`, `pulumi_vpsorg.SnapshotRestore` and "
        "`pulumi_vpsorg.SnapshotSeries`, which need no plugin.",
        "keywords": ["pulumi", "vpsorg", "snapshots", "category/infrastructure", "kind/native"],
        "license": "Apache-2.0",
        "publisher": "pulumi-vpsorg",
        "provider_description": "The VPS.org provider: stack config `vpsorg:*` for the default one, or explicit "
        "instances (two accounts or endpoints in one program).",
        "language": {
            "nodejs": {
                "packageName": "@pulumi-vpsorg/vpsorg",
                "packageDescription": "VPS.org server snapshots for Pulumi (TypeScript SDK of the native provider "
                "`pulumi-resource-vpsorg`).",
                "respectSchemaVersion": True,
            },
            "python": {
                "packageName": "pulumi_vpsorg_native",
                "requires": {"pulumi": ">=3.150,<4"},
                "respectSchemaVersion": True,
            },
            "go": {
                "importBasePath": "github.com/pulumi-vpsorg/pulumi-vpsorg/sdk/go/vpsorg",
                "respectSchemaVersion": True,
                "generateResourceContainerTypes": False,
            },
        },
    },
)
