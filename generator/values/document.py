"""A loaded values document: its data and where every key and value is in its file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import Problem

JsonPath = tuple[str | int, ...]
Position = tuple[int, int]


def format_path(path: JsonPath) -> str:
    """Dotted field path as users write it: nfs.server, nfs.mountOptions[1]."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "a").replace("-", "a").isalnum() and part.isascii():
            out += f".{part}" if out else part
        else:
            out += "[" + quote(part) + "]"
    return out or "(root)"


def quote(text: str) -> str:
    return json.dumps(text)


@dataclass
class Document:
    """A loaded values file: the data and the line/column of every key and value."""

    file: str
    data: dict[str, Any]
    positions: dict[JsonPath, Position] = field(default_factory=dict)
    key_positions: dict[JsonPath, Position] = field(default_factory=dict)
    path: Path | None = None  # the file it was read from, when it was read from one

    def locate(self, path: JsonPath, *, key: bool = False) -> Position:
        """Position of the value at path (or its key), else of its nearest ancestor."""
        return self._nearest(path, key)[1]

    def _nearest(self, path: JsonPath, key: bool) -> tuple[JsonPath, Position]:
        table = self.key_positions if key else self.positions
        for end in range(len(path), -1, -1):
            found = table.get(path[:end]) or self.positions.get(path[:end])
            if found:
                return path[:end], found
        return (), (1, 1)

    def origin(self, path: JsonPath) -> str:
        """The file the value at path came from (merged documents have several)."""
        return self.file

    def problem(self, path: JsonPath, message: str, code: str, *, key: bool = False) -> Problem:
        located, (line, column) = self._nearest(path, key)
        return Problem(self.origin(located), line, column, format_path(path), message, code)
