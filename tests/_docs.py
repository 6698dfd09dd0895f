"""The user's documentation, whose code blocks the tests run: README.md, the guide pages in docs/, and the reference
pages generated into docs/reference/."""

from __future__ import annotations

import glob
import os
import re

ROOT = os.path.join(os.path.dirname(__file__), "..")
GUIDE = ["README.md", *sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))]
REFERENCE = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "reference", "*.md")))
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def text(page: str) -> str:
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        return f.read()


def blocks(*, reference: bool = True) -> list[tuple[str, str, str]]:
    """Every fenced block as ``(page, language, code)``: README and the guide, and with ``reference`` the reference
    pages too."""
    pages = GUIDE + (REFERENCE if reference else [])
    return [(page, kind, code) for page in pages for kind, code in FENCE.findall(text(page))]


def block(kind: str, containing: str) -> str:
    """The one block of the guide (README and docs/) in ``kind`` that contains ``containing``."""
    [found] = [code for _, k, code in blocks(reference=False) if k == kind and containing in code]
    return found
