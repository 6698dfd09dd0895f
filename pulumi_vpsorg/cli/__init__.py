"""The ``vpsorg`` command line: snapshots, rotation, scripted rollbacks and the local emulator.

Built on the same client and wait code as the Pulumi resources. Modules: ``_parser`` (every screen), ``_snapshots``,
``_restore``, ``_servers``, ``_emulator``, ``_completion``, ``_output``, ``_common``, ``_env`` (the streams and
``ExitStatus``), ``_main``.
"""

from ._env import Environment, ExitStatus
from ._main import main
from ._parser import build_parser as _parser
from ._restore import pick_rollback_snapshot

__all__ = ["Environment", "ExitStatus", "_parser", "main", "pick_rollback_snapshot"]
