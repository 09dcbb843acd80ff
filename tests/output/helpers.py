"""What the tests of a written tree read back from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def snapshot(tree: Path) -> dict[str, bytes]:
    """Every file of the tree folder by name, as bytes."""
    return {p.name: p.read_bytes() for p in sorted(tree.iterdir())}


def storage_classes(tree: Path) -> dict[str, Any]:
    """The StorageClass documents of the tree folder by metadata.name."""
    found = {}
    for path in sorted(tree.glob("storageclass*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            found[doc["metadata"]["name"]] = doc
    return found
