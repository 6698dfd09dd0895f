"""The native plugin ``pulumi-resource-vpsorg``: this package's resources and functions for Pulumi programs in
any language (YAML, TypeScript, Go, C#, and Python through a generated SDK).

``vpsorg plugin install`` makes it available to every program on the machine (see README); the engine starts it
as ``pulumi-resource-vpsorg <engine address>``, and it serves the engine's gRPC protocol on a free local port
(``pulumi.provider.experimental``), one process per provider instance.
"""

from __future__ import annotations
