"""schema.json is a valid Pulumi package schema and says what the code really does."""

from __future__ import annotations

import dataclasses
import json
import os
import re

import grpc
import jsonschema
import pytest
from _consts import SHARED, TOKEN
from _engine import RESTORE_TYPE, SNAPSHOT_TYPE, ProviderHost, urn

import pulumi_vpsorg
from pulumi_vpsorg import SnapshotInfo, __version__, _generate, snapshot, spec
from pulumi_vpsorg.native import provider as native
from pulumi_vpsorg.spec import camel

ROOT = os.path.join(os.path.dirname(__file__), "..")
METASCHEMA = os.path.join(SHARED, "pulumi-package-metaschema.json")
SCHEMA = json.load(open(os.path.join(ROOT, "schema.json")))
RESOURCES = [r.token for r in spec.PACKAGE.resources]


@pytest.mark.skipif(not os.path.exists(METASCHEMA), reason="../shared/pulumi-package-metaschema.json is absent")
def test_validates_against_the_pulumi_metaschema():
    # The metaschema's patterns use Go's named groups `(?<name>...)`; Python's re spells them `(?P<name>...)`.
    text = re.sub(r"\(\?<([A-Za-z])", r"(?P<\1", open(METASCHEMA).read())
    validator = jsonschema.Draft202012Validator(json.loads(text))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(SCHEMA)]
    assert errors == []
    bad = dict(SCHEMA, resources={"vpsorg:index:Snapshot": {"inputProperties": {"x": {"type": "float"}}}})
    assert list(validator.iter_errors(bad))  # the validator does reject a broken schema


def test_every_generated_file_is_what_the_spec_makes():
    """schema.json, the dynamic resources' typed surface and the reference pages are generated from the spec:
    committed as `python -m pulumi_vpsorg._generate` writes them (the SDKs follow from schema.json: scripts/sdk)."""
    for path, text in _generate.generated().items():
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            assert f.read() == text, (
                f"{path} differs from what pulumi_vpsorg/spec.py makes: run python -m pulumi_vpsorg._generate"
            )


@pytest.mark.parametrize("token", sorted(RESOURCES))
def test_resource_matches_the_code(token):
    declared = spec.PACKAGE.resource(token)
    schema = SCHEMA["resources"][token]
    args = getattr(pulumi_vpsorg, f"{declared.name}Args")
    params = {f.name for f in dataclasses.fields(args)}
    # the schema's camelCase names are the Python names, mapped (the native plugin maps them on the wire)
    assert list(schema["inputProperties"]) == [camel(p.name) for p in declared.inputs]
    assert {camel(p) for p in params} == set(schema["inputProperties"])
    assert schema["requiredInputs"] == [camel(p.name) for p in declared.inputs if p.required]
    assert set(schema["properties"]) == {camel(p.name) for p in declared.outputs}
    for props in (schema["inputProperties"], schema["properties"]):
        replaced = {k for k, v in props.items() if v.get("replaceOnChanges")}
        assert replaced == {camel(p) for p in declared.names("replace")} & set(props)


def test_a_property_declared_once_reaches_both_front_doors_the_schema_and_the_docs(monkeypatch):
    """The spec is the one place: a new input with its rule, added there alone, is in the schema (and so the SDKs),
    the typed Python surface, the reference page, and both front doors' checks, each naming it in its own spelling."""
    extra = spec.Prop(
        "keep_days",
        "integer",
        input="Days to keep the snapshot.",
        output="Days the snapshot is kept.",
        rule=spec.positive("a number of days"),
        change="update",
    )
    bigger = dataclasses.replace(spec.SNAPSHOT, props=(*spec.SNAPSHOT.props, extra))
    monkeypatch.setattr(_generate, "PACKAGE", dataclasses.replace(spec.PACKAGE, resources=(bigger, spec.RESTORE)))
    made = _generate.schema()["resources"]["vpsorg:index:Snapshot"]
    assert made["inputProperties"]["keepDays"] == {"type": "integer", "description": "Days to keep the snapshot."}
    assert "keepDays" in made["properties"]
    assert "keep_days: pulumi.Input[int] | None = None" in _generate.resources_source()
    assert "| `keepDays` / `keep_days` | integer | optional |" in _generate.resource_page(bigger)
    for spell, name in ((spec.snake, "keep_days"), (camel, "keepDays")):
        _, failures = spec.check({"server_id": 1, "name": "n", "keep_days": 0}, bigger.inputs, spell)
        assert failures == [(name, f"{name} must be a number of days: a whole number from 1 to {2**53 - 1}, got 0")]
    assert spec.changed(bigger, "update", {"keep_days": 3.0}, {"keep_days": 4}) == ["keep_days"]
    monkeypatch.setattr(snapshot, "DECLARED", bigger)  # the steps keep every declared input in state
    snap = SnapshotInfo.model_validate({"id": 801, "name": "n", "status": "completed", "server": {"id": 12345}})
    assert snapshot._outputs(snap, {"server_id": 12345, "name": "n", "keep_days": 3}, adopted=False)["keep_days"] == 3
    assert snapshot.updated_state({"keep_days": 3, "name": "n"}, {"keep_days": 4, "name": "n"})["keep_days"] == 4


def test_every_config_variable_reaches_the_dynamic_provider(api, snap_props):
    """Stack config under each of the schema's config names configures the dynamic provider: the token and the
    endpoint reach the emulator (it accepts only TOKEN), and a bad request budget is refused naming its key."""
    values = {"token": TOKEN, "endpoint": api.endpoint, "maxRequestsPerSecond": "0"}
    assert set(SCHEMA["config"]["variables"]) == set(values)
    assert SCHEMA["config"]["variables"]["token"]["secret"] is True
    for rps, works in (("0", True), ("lots", False)):
        h = ProviderHost()
        try:
            h.configure({f"vpsorg:{k}": v for k, v in dict(values, maxRequestsPerSecond=rps).items()})
            inputs, _ = h.check(urn(SNAPSHOT_TYPE, "s"), {}, snap_props(server_id=12345, name=f"n{rps}"))
            if works:
                h.create(urn(SNAPSHOT_TYPE, "s"), inputs)
            else:
                with pytest.raises(grpc.RpcError, match="vpsorg:maxRequestsPerSecond"):
                    h.create(urn(SNAPSHOT_TYPE, "s"), inputs)
        finally:
            h.close()
    assert [s["name"] for s in api.emu.snapshots()] == ["n0"]  # the refused one sent nothing


def test_the_provider_resource_takes_the_config_variables(api):
    """The native plugin's provider inputs are the config variables by the same names (explicit providers)."""
    assert set(SCHEMA["provider"]["inputProperties"]) == set(SCHEMA["config"]["variables"]) == set(native.CONFIG)


def test_outputs_of_a_real_create_are_the_schema_properties(host, api, snap_props, restore_props):
    inputs, _ = host.check(
        urn(SNAPSHOT_TYPE, "s"), {}, snap_props(server_id=12345, name="n", description="d", wait_timeout="5m")
    )
    _, outs = host.create(urn(SNAPSHOT_TYPE, "s"), inputs)
    # managed_by is None here (this stack took it), and None is not sent on the wire
    assert {camel(k) for k in outs if k != "__provider"} == set(
        SCHEMA["resources"]["vpsorg:index:Snapshot"]["properties"]
    ) - {"managedBy"}
    inputs, _ = host.check(urn(RESTORE_TYPE, "r"), {}, restore_props(snapshot_id=801, wait=False))
    _, outs = host.create(urn(RESTORE_TYPE, "r"), inputs)
    # outputs that are None are not sent on the wire: compare against what was present
    assert {camel(k) for k in outs if k != "__provider"} <= set(
        SCHEMA["resources"]["vpsorg:index:SnapshotRestore"]["properties"]
    )
    assert {"snapshot_id", "server_id", "server_name", "server_status", "message", "restored_at"} <= set(outs)


def test_the_plugin_and_every_sdk_carry_the_package_version():
    """Plugin and SDKs in lock-step: the engine looks for the plugin at the version an SDK names."""
    sdk = os.path.join(os.path.dirname(__file__), "..", "sdk")

    def plugin_json(*path: str) -> str:
        with open(os.path.join(sdk, *path, "pulumi-plugin.json")) as f:
            return str(json.load(f)["version"])

    with open(os.path.join(sdk, "nodejs", "package.json")) as f:
        package = json.load(f)
    with open(os.path.join(sdk, "python", "setup.py")) as f:
        setup = f.read()
    assert SCHEMA["version"] == __version__
    assert package["version"] == package["pulumi"]["version"] == __version__
    assert plugin_json("python", "pulumi_vpsorg_native") == plugin_json("go", "vpsorg") == __version__
    assert f'VERSION = "{__version__}"' in setup
