"""The native provider: ``vpsorg:index:Snapshot``, ``vpsorg:index:SnapshotRestore`` and the functions
``getSnapshot`` / ``getSnapshots``, for programs in any language.

Each engine call runs the dynamic resources' own step (same rules, same messages, same guarantees) on a thread of
a pool as wide as the engine's ``--parallel`` lets calls come, so a 10-minute wait holds a thread, not the server.

- **configure**: keeps ``token``, ``endpoint`` and ``maxRequestsPerSecond`` (each else its environment variable);
  makes no API call. The engine never calls create or update in preview (``supports_preview`` is false), so
  preview sends nothing; check and diff are offline.
- **create / delete**: ``customTimeouts`` (create, delete) bound the whole step; else ``waitTimeout``. While a step
  waits, a line under the resource every ``VPSORG_PROGRESS_SECONDS`` (default 60).
- **read**: refresh as the dynamic resource (gone from a complete list: dropped; uncertain: kept with a warning);
  ``pulumi import`` and ``get`` of an id that does not exist fail, naming it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pulumi.provider.experimental import provider as p

from .. import _provider, spec
from .._progress import Progress
from ..budget import rate_limit
from ..client import Client, endpoint_problem
from ..errors import ConfigurationError
from . import functions
from ._kinds import KINDS, Kind
from ._schema import SCHEMA_TEXT
from ._values import camel, secret_names, text, to_plain, to_wire

CONFIG = tuple(camel(s.name) for s in spec.SETTINGS)
_THREADS = 4096  # started only when calls need them: the engine's --parallel is the cap


class VpsorgProvider(p.Provider):
    """One provider instance (the engine starts a plugin process per provider resource)."""

    def __init__(self, progress: Progress | None = None) -> None:
        self._config: dict[str, str | None] = dict.fromkeys(CONFIG)
        self._pool = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="vpsorg")
        self._progress = progress or Progress(None)

    def client(self) -> Client:
        return _provider.client_for(
            self._config["token"], self._config["endpoint"], self._config["maxRequestsPerSecond"]
        )

    async def _run(self, urn: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn`` on the pool (blocking HTTP and waits never hold the event loop or queue behind a small pool), its
        warnings under ``urn``."""

        def step() -> Any:
            with self._progress.step(urn):
                return fn(*args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._pool, step)

    # ----- configuration ----------------------------------------------------------------------------------------

    async def get_schema(self, request: p.GetSchemaRequest) -> p.GetSchemaResponse:
        return p.GetSchemaResponse(schema=SCHEMA_TEXT)

    async def check_config(self, request: p.CheckRequest) -> p.CheckResponse:
        """Refuses a bad request budget and an endpoint that holds credentials (or is no URL) before the engine stores
        anything: the endpoint is never echoed when it holds credentials."""
        failures: list[p.CheckFailure] = []
        rps = text(request.new_inputs.get("maxRequestsPerSecond"))
        try:
            rate_limit(rps)
        except ValueError as e:
            failures.append(p.CheckFailure("maxRequestsPerSecond", str(e)))
        endpoint = text(request.new_inputs.get("endpoint"))
        problem = endpoint_problem(endpoint) if endpoint is not None else None
        if problem:
            failures.append(p.CheckFailure("endpoint", f"vpsorg:endpoint is not usable: {problem}"))
        return p.CheckResponse(inputs=request.new_inputs, failures=failures)

    async def configure(self, request: p.ConfigureRequest) -> p.ConfigureResponse:
        for key in CONFIG:
            self._config[key] = text(request.args.get(key))
        try:
            rate_limit(self._config["maxRequestsPerSecond"])
        except ValueError as e:
            raise ConfigurationError(str(e)) from None
        return p.ConfigureResponse(accept_secrets=True, supports_preview=False)

    # ----- resources ----------------------------------------------------------------------------------------------

    async def check(self, request: p.CheckRequest) -> p.CheckResponse:
        kind = _kind(request.type)
        values, failures = spec.check(to_plain(request.new_inputs), kind.declared.inputs, camel)
        return p.CheckResponse(
            inputs=to_wire(values, secret_names(request.new_inputs)),
            failures=[p.CheckFailure(prop, reason) for prop, reason in failures],
        )

    async def diff(self, request: p.DiffRequest) -> p.DiffResponse:
        kind = _kind(request.type)
        olds, news = to_plain(request.old_state), to_plain(request.new_inputs)
        replaces = spec.changed(kind.declared, "replace", olds, news)
        updates = spec.changed(kind.declared, "update", olds, news)
        return p.DiffResponse(
            changes=bool(replaces or updates),
            replaces=[camel(r) for r in replaces],
            delete_before_replace=kind.declared.delete_before_replace and bool(replaces),
            diffs=[camel(k) for k in replaces + updates],
            detailed_diff={
                camel(k): _property_diff(olds.get(k), news.get(k), replace=k in replaces) for k in replaces + updates
            },
        )

    async def create(self, request: p.CreateRequest) -> p.CreateResponse:
        kind = _kind(request.type)
        props = to_plain(request.properties)
        if request.preview:  # not sent while supports_preview is false; were it sent, nothing goes to the API
            return p.CreateResponse(resource_id="", properties=request.properties)
        props[kind.added] = _declared_at(kind, request.urn)
        result = await self._run(
            request.urn,
            kind.create,
            self.client(),
            props,
            timeout=request.timeout or None,
            on_poll=self._progress.reporter(request.urn, kind.progress),
            spell=camel,
        )
        outs = {k: v for k, v in result.outs.items() if k != kind.added}
        return p.CreateResponse(resource_id=result.id, properties=to_wire(outs, secret_names(request.properties)))

    async def read(self, request: p.ReadRequest) -> p.ReadResponse:
        kind = _kind(request.type)
        if kind.read is None:
            return p.ReadResponse(request.resource_id, request.properties, request.inputs)
        props = to_plain(request.properties)
        props[kind.added] = _declared_at(kind, request.urn)
        result = await self._run(request.urn, kind.read, self.client(), request.resource_id, props, camel)
        if not result.id:
            return p.ReadResponse("", {}, {})  # gone: the engine drops it from state
        kept = {k: v for k, v in result.outs.items() if k != kind.added}  # the state as recorded may come back
        outs = to_wire(kept, secret_names(request.properties, request.inputs))
        # an import has no inputs: those the API gave back are what `pulumi import` writes into its program
        inputs = request.inputs or {
            camel(i.name): outs[camel(i.name)] for i in kind.declared.inputs if camel(i.name) in outs
        }
        return p.ReadResponse(result.id, outs, inputs)

    async def update(self, request: p.UpdateRequest) -> p.UpdateResponse:
        kind = _kind(request.type)
        olds, news = to_plain(request.olds), to_plain(request.news)
        if kind.update_calls_api:
            news[kind.added] = _declared_at(kind, request.urn)
            state = await self._run(
                request.urn,
                kind.update,
                self.client(),
                olds,
                news,
                timeout=request.timeout or None,
                on_poll=self._progress.reporter(request.urn, kind.progress),
                spell=camel,
            )
            state = {k: v for k, v in state.items() if k != kind.added}
        else:
            state = kind.update(olds, news, camel)
        return p.UpdateResponse(properties=to_wire(state, secret_names(request.olds, request.news)))

    async def delete(self, request: p.DeleteRequest) -> None:
        kind = _kind(request.type)
        if kind.delete is None:
            return
        props = to_plain(request.properties)
        props[kind.added] = _declared_at(kind, request.urn)
        await self._run(
            request.urn,
            kind.delete,
            self.client(),
            request.resource_id,
            props,
            timeout=request.timeout or None,
            on_poll=self._progress.reporter(request.urn, kind.progress),
            spell=camel,
        )

    # ----- functions ----------------------------------------------------------------------------------------------

    async def invoke(self, request: p.InvokeRequest) -> p.InvokeResponse:
        function = functions.FUNCTIONS.get(request.tok)
        if function is None:
            raise ConfigurationError(f"vpsorg has no function {request.tok!r}: it has {', '.join(functions.FUNCTIONS)}")
        args, failures = function.parse(to_plain(request.args))
        if failures:
            return p.InvokeResponse(failures=[p.CheckFailure(k, v) for k, v in failures])
        result = await self._run("", function.run, self.client(), args)
        return p.InvokeResponse(return_value=to_wire(result))


def _property_diff(old: Any, new: Any, *, replace: bool) -> p.PropertyDiff:
    """One property's change as previews show it (``[diff: ~description]``, ``+-name``), from the input."""
    kinds = {
        (True, False): (p.PropertyDiffKind.ADD_REPLACE, p.PropertyDiffKind.ADD),
        (False, True): (p.PropertyDiffKind.DELETE_REPLACE, p.PropertyDiffKind.DELETE),
    }
    replacing, updating = kinds.get(
        (old is None, new is None), (p.PropertyDiffKind.UPDATE_REPLACE, p.PropertyDiffKind.UPDATE)
    )
    return p.PropertyDiff(replacing if replace else updating, input_diff=True)


def _kind(type_: str) -> Kind:
    kind = KINDS.get(type_)
    if kind is None:
        raise ConfigurationError(f"vpsorg has no resource type {type_!r}: it has {', '.join(KINDS)}")
    return kind


def _declared_at(kind: Kind, urn: str) -> str:
    """What the plugin adds, from the URN, as the Python door adds it from the program: the stack for a snapshot,
    project/stack/name for a restore (which names its safety snapshot)."""
    if kind.declared is not spec.RESTORE:
        return _stack_of(urn)
    return f"{_stack_of(urn)}/{urn.split('::')[-1]}"


def _stack_of(urn: str) -> str:
    """``project/stack`` from ``urn:pulumi:<stack>::<project>::<type>::<name>`` (the engine tells a plugin no
    organization; adoption compares project and stack, see ``operations.same_stack``)."""
    head, project = urn.split("::")[:2]
    return f"{project}/{head.rsplit(':', 1)[-1]}"
