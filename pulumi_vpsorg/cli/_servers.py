"""``vpsorg servers ...``: list (filtered by status and location) and get, by id or name."""

from __future__ import annotations

import argparse

from ._common import client, find_server
from ._env import Environment, ExitStatus
from ._output import columns, server_json, server_row, show, show_one


def cmd_list(args: argparse.Namespace, env: Environment) -> int:
    with client(args, env) as api:
        servers = api.list_servers(status=args.status, location=args.location)
    show(env, args, servers, "server")
    return ExitStatus.SUCCESS


def cmd_get(args: argparse.Namespace, env: Environment) -> int:
    with client(args, env) as api:
        server = find_server(api, args.server)
    wide = args.output == "wide"
    show_one(env, args, server_json(server), server.id, (server_row(server, wide), columns("server", wide)))
    return ExitStatus.SUCCESS
