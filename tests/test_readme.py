"""Every code block of the user's documentation (README.md, docs/*.md and the reference pages in docs/reference/)
runs: Python programs under mocks or against the emulator, `vpsorg` lines against the emulator, usage lines through
the real argument parser. (`make` lines are what CI and the demo run; YAML, TypeScript and Go programs run under the
real engine in the end-to-end suite.)"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import _docs
import pytest
from _consts import TOKEN
from _engine import run_program

from pulumi_vpsorg.cli import _parser
from pulumi_vpsorg.emulator import Emulator, serve

BLOCKS = [(kind, code) for _, kind, code in _docs.blocks()]
VPSORG = os.path.join(os.path.dirname(sys.executable), "vpsorg")
KNOWN_SHELL = ("make ", "pip ", "pulumi ", "vpsorg ", "# ", "PULUMI_SKIP_CHECKPOINTS=true pulumi ")


def _python(kind: str) -> list[str]:
    return [code for k, code in BLOCKS if k == kind]


@pytest.mark.parametrize("code", _python("python"))
def test_python_blocks(code, api, monkeypatch):
    monkeypatch.setenv("VPSORG_TOKEN", TOKEN)
    monkeypatch.setenv("VPSORG_ENDPOINT", api.endpoint)
    if "import pulumi\n" in code or "import Snapshot" in code:
        recorder = run_program(lambda: exec(compile(code, "docs", "exec"), {}))
        assert recorder.resources
    else:
        exec(compile(code, "docs", "exec"), {})


@pytest.mark.parametrize("page", _docs.GUIDE + _docs.REFERENCE)
def test_every_code_block_is_collected(page):
    """No block escapes the pattern the tests above use (an indented fence, a missing newline)."""
    assert len(_docs.FENCE.findall(_docs.text(page))) == _docs.text(page).count("```") // 2


def _shell_blocks() -> list[str]:
    return [code for k, code in BLOCKS if k == "bash" and "vpsorg " in code]


@pytest.mark.parametrize("code", _shell_blocks(), ids=lambda code: code.strip().splitlines()[0][:40])
def test_each_shell_block_runs_on_its_own_on_a_fresh_emulator(code):
    """A reader runs a block after `vpsorg emulator`, not after the blocks above it: each gets a new emulator."""
    emulator = Emulator(snapshot_seconds=0, restore_seconds=0)
    server = serve(emulator)
    env = {
        **os.environ,
        "VPSORG_TOKEN": TOKEN,
        "VPSORG_ENDPOINT": server.endpoint,
        "CI_PIPELINE_ID": "42",
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
    }
    try:
        for line in code.strip().splitlines():
            assert line.startswith(KNOWN_SHELL), line
            if line.startswith("vpsorg "):
                proc = subprocess.run(line.split("  #")[0], shell=True, env=env, capture_output=True, text=True)
                assert proc.returncode == 0, (line, proc.stderr)
    finally:
        server.close()


def test_every_shell_line_is_one_a_reader_can_run():
    for code in (c for k, c in BLOCKS if k == "bash"):
        for line in code.strip().splitlines():
            assert line.startswith(KNOWN_SHELL), line


def test_usage_lines_parse():
    usage = [c for k, c in BLOCKS if k == "text" and c.startswith("vpsorg ")][0]
    for line in usage.strip().splitlines():
        words = [w for w in shlex.split(line.replace("[", " ").replace("]", " ")) if w != "..."]
        words = [
            {
                "N": "12",
                "ID": "801",
                "S": "1",
                "NAME_OR_ID": "n",
                "FILE": "f",
                "T": "t",
                "NAME": "n",
                "D": "d",
                "SERVER": "12345",
                "K": "3",
                "P": "pre-",
                "STATUS": "completed",
                "LOC": "us-west",
                "TOKEN": "t",
                "SHELL": "bash",
                "json|table|wide": "wide",
            }.get(w, w)
            for w in words[1:]
        ]
        parsed = _parser().parse_args(words)  # a line the parser refuses exits (SystemExit): the test fails
        assert parsed.run.__name__ != "show", line  # a command, not the help of a group it did not name
