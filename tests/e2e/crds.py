"""CustomResourceDefinitions for the custom kinds a rendered tree uses.

The schemas are read from the shared folder beside the clone (../shared/schemas/crds/<group>/
<kind>_<version>.json, the openAPIV3Schema of each upstream CRD in JSON Schema form) and never
copied into the project. A few JSON Schema habits are not allowed in a structural CRD schema and
are dropped here; unknown fields are still caught, because objects are applied with
fieldValidation=Strict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .kubeapi import Kube, Obj

# Keys JSON Schema allows but a CRD's openAPIV3Schema does not.
DROPPED_KEYS = ("$schema", "$id", "id", "definitions", "$defs")


def schema_path(crd_dir: Path, api_version: str, kind: str) -> Path:
    group, _, version = api_version.partition("/")
    return crd_dir / group / f"{kind.lower()}_{version}.json"


def structural(node: Any) -> Any:
    """Return the schema with the parts a structural schema forbids removed."""
    if isinstance(node, list):
        return [structural(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROPPED_KEYS:
            continue
        if key == "additionalProperties":
            # false/true are not allowed; a map schema is, but never beside properties.
            if isinstance(value, bool) or "properties" in node:
                continue
            out[key] = structural(value)
        elif key in ("properties", "patternProperties"):
            out[key] = {name: structural(sub) for name, sub in value.items()}
        else:
            out[key] = structural(value)
    return out


def plural(kind: str) -> str:
    word = kind.lower()
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def definition(api_version: str, kind: str, schema: Obj) -> Obj:
    group, _, version = api_version.partition("/")
    names = {
        "kind": kind,
        "listKind": f"{kind}List",
        "plural": plural(kind),
        "singular": kind.lower(),
    }
    root = structural(schema)
    root["type"] = "object"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{names['plural']}.{group}"},
        "spec": {
            "group": group,
            "names": names,
            # Every kind in the shared schema folder (Flux sources and releases, Argo CD
            # applications and projects) is namespaced upstream.
            "scope": "Namespaced",
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": root},
                }
            ],
        },
    }


def is_builtin_group(api_version: str) -> bool:
    """True for the core group and the groups Kubernetes itself serves (*.k8s.io, apps, ...)."""
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def is_builtin(kube: Kube, api_version: str, kind: str) -> bool:
    try:
        kube.resource(api_version, kind)
    except LookupError:
        return False
    return True


def install_for(kube: Kube, crd_dir: Path, objects: list[Obj]) -> list[str]:
    """Install a CRD for every custom kind among `objects`; return the CRD names installed."""
    wanted = sorted({(o["apiVersion"], o["kind"]) for o in objects if "/" in o["apiVersion"]})
    installed: list[str] = []
    for api_version, kind in wanted:
        if is_builtin(kube, api_version, kind):
            continue
        path = schema_path(crd_dir, api_version, kind)
        if not path.is_file():
            raise FileNotFoundError(f"no schema for custom kind {kind} ({api_version}): {path}")
        crd = definition(api_version, kind, json.loads(path.read_text()))
        kube.apply(crd)
        kube.wait_crd_established(crd["metadata"]["name"])
        installed.append(crd["metadata"]["name"])
    return installed
