"""The way one would write it by hand: a dynamic provider that POSTs and then polls on its own every few
seconds. It has no shared polling and leaves the provider host's 4-call pool alone. For comparison only."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx
from pulumi.dynamic import CreateResult, ResourceProvider

POLL_SECONDS = 3.0


class NaiveProvider(ResourceProvider):
    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        headers = {"Authorization": f"Bearer {os.environ['VPSORG_TOKEN']}"}
        with httpx.Client(base_url=os.environ["VPSORG_ENDPOINT"] + "/", headers=headers) as http:
            server_id = int(props["server_id"])
            snap = http.post("snapshots/", json={"server_id": server_id, "name": props["name"]}).json()
            while True:
                time.sleep(POLL_SECONDS)
                listed = http.get("snapshots/", params={"server_id": server_id}).json()["results"]
                mine = next(s for s in listed if s["id"] == snap["id"])
                if mine["status"] == "completed":
                    return CreateResult(str(snap["id"]), {**props, **mine})
