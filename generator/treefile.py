"""A file of a cluster's tree and the template it is rendered from: the unit engines and drivers
list, so render needs no catalogue of its own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TreeFile:
    """name in the tree, template under templates/, and when it is rendered.

    switch: the values path of a boolean that turns the file on (None: always). rank: where a
    kustomization resource goes among the others (common, driver and engine files interleave).
    """

    name: str
    template: str
    switch: tuple[str, ...] | None = None
    rank: int = 0

    def wanted(self, values: dict[str, Any]) -> bool:
        if self.switch is None:
            return True
        node: Any = values
        for key in self.switch:
            node = node[key]
        return bool(node)


def template_dir() -> Path:
    """Templates inside the installed package, else the repository's top-level templates/."""
    package = Path(__file__).parent
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent / "templates"
