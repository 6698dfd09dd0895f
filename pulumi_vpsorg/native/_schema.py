"""The package schema the plugin serves: ``pulumi_vpsorg/schema.json`` as shipped (the repository's ``schema.json``
is a link to it), so what ``GetSchema`` answers and what the SDKs are generated from are one file. Tests hold it to
the code (inputs, outputs, required, replacements, config)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMA_TEXT: str = resources.files("pulumi_vpsorg").joinpath("schema.json").read_text(encoding="utf-8")
SCHEMA: dict[str, Any] = json.loads(SCHEMA_TEXT)
