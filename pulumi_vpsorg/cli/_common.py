"""What the commands share: the client, confirmation, and looking things up so that errors name what is missing."""

from __future__ import annotations

import argparse

from .._clock import MONOTONIC
from ..client import Client
from ..errors import CLI_TOKEN_HINT
from ..listing import snapshot_by_id
from ..models import Server, Snapshot
from ._env import DoesNotExist, Environment, NothingSent


def client(args: argparse.Namespace, env: Environment) -> Client:
    """The API client of ``--token`` / ``--endpoint``, else the environment's, on ``env``'s clock; one given empty is
    refused."""
    for option in ("token", "endpoint"):
        if getattr(args, option, None) is not None and not getattr(args, option).strip():
            raise NothingSent(
                f"--{option} is empty (an unset variable?): give it a value, or leave it out to use "
                f"$VPSORG_{option.upper()}; nothing was sent"
            )
    token, endpoint = getattr(args, "token", None), getattr(args, "endpoint", None)
    return Client(token, endpoint, token_hint=CLI_TOKEN_HINT, clock=None if env.clock is MONOTONIC else env.clock)


def confirm(args: argparse.Namespace, env: Environment, question: str) -> None:
    """Go on only with ``--yes``, or a 'yes' typed on a terminal; the question names what is touched."""
    if getattr(args, "yes", False):
        return
    if not env.stdin.isatty():
        raise NothingSent("refusing to run a destructive command without a terminal: pass --yes to confirm")
    env.stderr.write(question + " Type 'yes' to continue: ")
    env.stderr.flush()
    if env.stdin.readline().strip().lower() != "yes":
        raise NothingSent("not confirmed; nothing was sent")


def find_snapshot(api: Client, snapshot_id: int) -> Snapshot:
    """Snapshot ``snapshot_id``, by the provider's own look-up: it does not exist only when a complete list lacks it
    (a list that cannot tell raises ``AbsenceUncertainError``, which ``--ignore-not-found`` does not excuse)."""
    found = snapshot_by_id(api, snapshot_id)
    if found is None:
        raise DoesNotExist(f"Snapshot {snapshot_id} does not exist: `vpsorg snapshots list` shows the ones that do.")
    return found


def find_unless_ignored(api: Client, args: argparse.Namespace, env: Environment, nothing: str) -> Snapshot | None:
    """The snapshot ``args.id``; a missing one is an error, or with ``--ignore-not-found`` None (said on stderr)."""
    try:
        return find_snapshot(api, args.id)
    except DoesNotExist:
        if not args.ignore_not_found:
            raise
        env.say(f"Snapshot {args.id} does not exist; {nothing} (--ignore-not-found).")
        return None


def find_server(api: Client, ref: int | str) -> Server:
    """A server by id or by exact name; a name two servers share is refused, listing both ids."""
    servers = api.list_servers()
    matches = [s for s in servers if (s.id == ref if isinstance(ref, int) else s.name == ref)]
    if not matches:
        raise DoesNotExist(
            f"Server {ref!r} does not exist: `vpsorg servers list` shows the servers this token can see."
        )
    if len(matches) > 1:
        ids = ", ".join(str(s.id) for s in matches)
        raise NothingSent(f"{len(matches)} servers are called {ref!r} ({ids}): name it by id instead")
    return matches[0]


def server_id(api: Client, ref: int | str) -> int:
    """An id as given (the API says if it does not exist), or the id of the server with that name."""
    return ref if isinstance(ref, int) else find_server(api, ref).id


def describe(snap: Snapshot, *, server: bool = True) -> str:
    """``snapshot 801 'name' of server 12345 (web-01), taken ...``; without ``server`` when the sentence names it."""
    of = f"server {snap.server_id} ({snap.server.name})" if snap.server and snap.server.name else "its server"
    taken = snap.created_at or "at an unknown time"
    return f"snapshot {snap.id} {snap.name!r}{f' of {of}' if server else ''}, taken {taken}"
