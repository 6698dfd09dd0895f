"""`vpsorg plugin install`: what it hands `pulumi plugin install` is a plugin that serves, and every way it can end
says what happened (a fake `pulumi` stands in for the CLI here; tests/e2e installs into the real one)."""

from __future__ import annotations

import io
import os
import subprocess

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2_grpc

from pulumi_vpsorg import __version__
from pulumi_vpsorg.cli import Environment, ExitStatus, main

FAKE_PULUMI = """#!/bin/sh
printf '%s\\n' "$@" > "{out}/argv"
[ -n "{fail}" ] && {{ echo "error: {fail}" >&2; exit 7; }}
while [ "$1" != "--file" ]; do shift; done
cp -r "$2" "{out}/plugin"
"""


def _install(tmp_path, fail: str = "", pulumi: str | None = None) -> tuple[int, str, str]:
    fake = tmp_path / "pulumi"
    fake.write_text(FAKE_PULUMI.format(out=tmp_path, fail=fail))
    fake.chmod(0o755)
    out, err = io.StringIO(), io.StringIO()
    code = main(["plugin", "install", "--pulumi", pulumi or str(fake)], Environment(stdout=out, stderr=err))
    return int(code), out.getvalue(), err.getvalue()


def test_install_hands_pulumi_a_plugin_that_serves(tmp_path):
    code, out, _ = _install(tmp_path)
    assert code == ExitStatus.SUCCESS and f"installed resource plugin vpsorg {__version__}" in out
    argv = (tmp_path / "argv").read_text().split("\n")
    assert argv[:5] == ["plugin", "install", "resource", "vpsorg", __version__] and argv[5] == "--file"
    shim = tmp_path / "plugin" / "pulumi-resource-vpsorg"
    assert os.access(shim, os.X_OK)
    proc = subprocess.Popen([str(shim)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().decode().strip()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = provider_pb2_grpc.ResourceProviderStub(channel).GetPluginInfo(empty_pb2.Empty(), timeout=30)
    finally:
        proc.kill()
        proc.communicate()
    assert info.version == __version__


def test_a_failing_pulumi_is_reported_with_what_it_said(tmp_path):
    code, _, err = _install(tmp_path, fail="permission denied on plugins folder")
    assert code == ExitStatus.ERROR
    assert "`pulumi plugin install` failed (exit 7): error: permission denied on plugins folder" in err


def test_without_pulumi_it_says_how_to_get_it_and_installs_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out, err = io.StringIO(), io.StringIO()
    code = main(["plugin", "install"], Environment(stdout=out, stderr=err))
    assert code == ExitStatus.USAGE and "the `pulumi` CLI is not on PATH" in err.getvalue()
    assert "--pulumi PATH" in err.getvalue()


def test_a_wrong_pulumi_path_is_named(tmp_path):
    code, _, err = _install(tmp_path, pulumi=str(tmp_path / "nope"))
    assert code == ExitStatus.USAGE and f"--pulumi {tmp_path / 'nope'}: no executable there" in err


def test_a_plugin_whose_virtualenv_is_gone_says_to_install_it_again(tmp_path):
    from pulumi_vpsorg.cli._plugin import write_shim

    shim = write_shim(str(tmp_path), python=str(tmp_path / "moved-venv" / "bin" / "python"))
    done = subprocess.run([shim, "127.0.0.1:1"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and done.stdout == ""
    assert "moved-venv/bin/python is gone" in done.stderr and "run `vpsorg plugin install` again" in done.stderr
