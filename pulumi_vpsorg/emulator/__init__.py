"""A local, stateful stand-in for the VPS.org API, for examples, tests and benchmarks.

The request handling (:meth:`Emulator.handle`) is plain Python; :meth:`Emulator.transport` serves it in-process as
an httpx transport (no socket) and :func:`serve` puts a small HTTP server in front of it::

    emu = Emulator(snapshot_seconds=2)
    server = serve(emu, port=0)                 # real HTTP on 127.0.0.1, a free port
    print(server.endpoint)                      # http://127.0.0.1:PORT/api/v1
    ...
    server.close()

It behaves as the API notes describe (statuses, bodies, the 5-per-server limit) and, because the real API leaves it
open, it allows two snapshots with the same name: the worst case for a client that must never make two.

Fault injection: ``POST /_emulator/faults`` with a JSON body, or :meth:`Emulator.inject` (see
:mod:`~pulumi_vpsorg.emulator.faults`). ``GET /_emulator/stats`` returns the request log and every snapshot's
completion time.

Modules: ``api`` (the handling and its route table), ``state`` (servers and snapshots as dataclasses, the state
file), ``faults``, ``reply``, ``adapters`` (the httpx transport and the HTTP server).
"""

from .adapters import EmulatorServer, serve, transport
from .api import API_PREFIX, SNAPSHOT_LIMIT, Emulator
from .reply import DROP, Drop, Reply
from .state import DOC_SERVERS

__all__ = [
    "API_PREFIX",
    "DOC_SERVERS",
    "DROP",
    "SNAPSHOT_LIMIT",
    "Drop",
    "Emulator",
    "EmulatorServer",
    "Reply",
    "serve",
    "transport",
]
