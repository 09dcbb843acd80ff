"""The values schema and the facts it owns: engines, drivers, Kubernetes versions.

The JSON file stays at generator/values.schema.json: values files name it in their
`yaml-language-server: $schema=` modeline, so its path is part of the product's contract.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_FILE = "values.schema.json"
SCHEMA_PATH = Path(__file__).parent.parent / SCHEMA_FILE


def schema_text() -> str:
    # A plain read: importlib.resources costs more to import than the file costs to read.
    return SCHEMA_PATH.read_text(encoding="utf-8")


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


def resolve(node: dict[str, Any], root: dict[str, Any] | None = None) -> dict[str, Any]:
    """node with its local `$ref` ("#/$defs/NAME") replaced by what it points at, the node's own
    keywords winning; KeyError for a reference this schema does not hold (remote, nested)."""
    if "$ref" not in node:
        return node
    ref = node["$ref"]
    prefix = "#/$defs/"
    name = ref[len(prefix) :] if isinstance(ref, str) and ref.startswith(prefix) else ""
    defs = (schema() if root is None else root).get("$defs")
    if not name or any(c in name for c in "/~%") or not isinstance(defs, dict) or name not in defs:
        raise KeyError(f"$ref {ref!r}")
    return {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}


def _enum(*path: str) -> tuple[str, ...]:
    node: dict[str, Any] = schema()
    for key in path:
        node = resolve(node)["properties"][key]
    return tuple(resolve(node)["enum"])


def engines() -> tuple[str, ...]:
    """The GitOps engines (gitops.engine): the schema's enum is the one list."""
    return _enum("gitops", "engine")


def drivers() -> tuple[str, ...]:
    """The provisioners a cluster's export can use (driver): the schema's enum is the one list."""
    return _enum("driver")


def kubernetes_versions() -> list[str]:
    """Supported Kubernetes minors, oldest first: the values schema's kubernetesVersion enum."""
    return list(_enum("kubernetesVersion"))


def unsupported(versions: Iterable[str]) -> str | None:
    """Why versions are not all supported (the one check, for the CLI and lint), else None."""
    supported = kubernetes_versions()
    unknown = [version for version in versions if version not in supported]
    if not unknown:
        return None
    return f"{', '.join(unknown)} not supported; choose from {', '.join(supported)}"
