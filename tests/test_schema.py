"""schema.json is a valid Pulumi package schema and says what the code really does."""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import re

import jsonschema
import pytest
from _consts import SHARED
from _engine import RESTORE_TYPE, SNAPSHOT_TYPE, urn

from pulumi_vpsorg import restore, snapshot

ROOT = os.path.join(os.path.dirname(__file__), "..")
METASCHEMA = os.path.join(SHARED, "pulumi-package-metaschema.json")
SCHEMA = json.load(open(os.path.join(ROOT, "schema.json")))
RESOURCES = {"vpsorg:index:Snapshot": snapshot, "vpsorg:index:SnapshotRestore": restore}


@pytest.mark.skipif(not os.path.exists(METASCHEMA), reason="../shared/pulumi-package-metaschema.json is absent")
def test_validates_against_the_pulumi_metaschema():
    # The metaschema's patterns use Go's named groups `(?<name>...)`; Python's re spells them `(?P<name>...)`.
    text = re.sub(r"\(\?<([A-Za-z])", r"(?P<\1", open(METASCHEMA).read())
    validator = jsonschema.Draft202012Validator(json.loads(text))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(SCHEMA)]
    assert errors == []
    bad = dict(SCHEMA, resources={"vpsorg:index:Snapshot": {"inputProperties": {"x": {"type": "float"}}}})
    assert list(validator.iter_errors(bad))  # the validator does reject a broken schema


@pytest.mark.parametrize("token", sorted(RESOURCES))
def test_resource_matches_the_code(token):
    module = RESOURCES[token]
    spec = SCHEMA["resources"][token]
    args = module.SnapshotArgs if token.endswith(":Snapshot") else module.SnapshotRestoreArgs
    params = [f.name for f in dataclasses.fields(args)]
    assert list(spec["inputProperties"]) == params == list(module.INPUTS)
    assert spec["requiredInputs"] == list(module.REQUIRED)
    assert set(spec["properties"]) == set(module.OUTPUTS)
    for props in (spec["inputProperties"], spec["properties"]):
        replaced = {k for k, v in props.items() if v.get("replaceOnChanges")}
        assert replaced == set(module.REPLACE_ON_CHANGES) & set(props)


def test_config_matches_the_provider():
    import pulumi_vpsorg._provider as provider_module

    source = inspect.getsource(provider_module._Provider.configure)
    for key in SCHEMA["config"]["variables"]:
        assert f'"vpsorg:{key}"' in source
    assert SCHEMA["config"]["variables"]["token"]["secret"] is True


def test_outputs_of_a_real_create_are_the_schema_properties(host, api, snap_props, restore_props):
    inputs, _ = host.check(
        urn(SNAPSHOT_TYPE, "s"), {}, snap_props(server_id=12345, name="n", description="d", wait_timeout="5m")
    )
    _, outs = host.create(urn(SNAPSHOT_TYPE, "s"), inputs)
    # managed_by is None here (this stack took it), and None is not sent on the wire
    assert set(outs) - {"__provider"} == set(SCHEMA["resources"]["vpsorg:index:Snapshot"]["properties"]) - {
        "managed_by"
    }
    inputs, _ = host.check(urn(RESTORE_TYPE, "r"), {}, restore_props(snapshot_id=801, wait=False))
    _, outs = host.create(urn(RESTORE_TYPE, "r"), inputs)
    # outputs that are None are not sent on the wire: compare against what was present
    assert set(outs) - {"__provider"} <= set(SCHEMA["resources"]["vpsorg:index:SnapshotRestore"]["properties"])
    assert {"snapshot_id", "server_id", "server_name", "server_status", "message", "restored_at"} <= set(outs)
