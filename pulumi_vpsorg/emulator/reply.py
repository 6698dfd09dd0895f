"""What the emulator's request handling returns: an answer, or the order to drop the connection."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class Drop:
    """Returned by :meth:`Emulator.handle` when the connection must be dropped without an answer."""


DROP = Drop()


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # sent as it is (an HTML error page, say) instead of ``body`` as JSON

    def content(self) -> bytes:
        if self.text is not None:
            return self.text.encode()
        return b"" if self.body is None else json.dumps(self.body).encode()

    def all_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.text is not None:
            headers["Content-Type"] = "text/html; charset=utf-8"
        elif self.body is not None:
            headers["Content-Type"] = "application/json"
        return headers


def detail(status: int, text: str) -> Reply:
    return Reply(status, {"detail": text})
