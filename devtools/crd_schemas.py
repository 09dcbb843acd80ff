"""Turn generated CustomResourceDefinitions into strict kubeconform schemas, offline.

Input: the CRD YAML files controller-gen wrote from the pinned upstream Go API modules
(crdgen/*/go.mod; `make crds`). Output, for every served version of every CRD, the
openAPIV3Schema as a JSON Schema in the CRDs-catalog layout kubeconform's
`{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json` template finds:

    OUT/<group>/<kind, lower case>_<version>.json

Strict flavour, as kubectl's own validation behaves: every object schema with `properties` gets
`additionalProperties: false` (unless it says otherwise or preserves unknown fields), and an
`x-kubernetes-int-or-string` field without its own alternatives accepts a string or an integer.

    python -m devtools.crd_schemas --crds .cache/crds --out .cache/schemas/crds

`--tidy` first rewrites the CRD files in place the way the upstream projects do before they
publish them (Argo CD's generator drops every description from the ApplicationSet CRD, which is
otherwise too large for a client-side apply).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

# CRDs (metadata.name) whose descriptions the upstream project strips before publishing.
STRIP_DESCRIPTIONS = frozenset({"applicationsets.argoproj.io"})


class ConversionError(Exception):
    """The input is not a CRD this converter understands; stop rather than guess."""


def without_descriptions(node: Any) -> Any:
    """A copy of a schema with every `description: <text>` dropped (a property that happens to
    be named description is a mapping and stays)."""
    if isinstance(node, dict):
        return {
            key: without_descriptions(value)
            for key, value in node.items()
            if not (key == "description" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    return node


def strict(node: Any) -> Any:
    """A copy of an openAPIV3Schema as a strict JSON Schema for kubeconform."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: strict(value) for key, value in node.items()}
    if out.get("x-kubernetes-int-or-string") is True and "anyOf" not in out and "oneOf" not in out:
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if (
        isinstance(out.get("properties"), dict)
        and "additionalProperties" not in out
        and out.get("x-kubernetes-preserve-unknown-fields") is not True
    ):
        out["additionalProperties"] = False
    return out


def crd_documents(path: Path) -> list[dict[str, Any]]:
    """The CustomResourceDefinitions in one YAML file."""
    documents = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    for doc in documents:
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            raise ConversionError(f"{path}: not a CustomResourceDefinition")
    return documents


def schemas_of(crd: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`<group>/<kind>_<version>.json` -> strict schema, for each served version of one CRD."""
    try:
        spec = crd["spec"]
        group, kind = spec["group"], spec["names"]["kind"]
        versions = spec["versions"]
    except (KeyError, TypeError) as exc:
        raise ConversionError(f"CRD {crd.get('metadata', {})} lacks {exc}") from None
    out: dict[str, dict[str, Any]] = {}
    for version in versions:
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        if not version.get("served") or not isinstance(schema, dict):
            continue
        out[f"{group}/{kind.lower()}_{version['name']}.json"] = strict(schema)
    if not out:
        raise ConversionError(f"CRD {crd['metadata']['name']} has no served version with a schema")
    return out


def tidy(crd_dir: Path) -> list[Path]:
    """Apply the upstream publishing steps to the CRD files in place; return the files changed."""
    changed = []
    for path in sorted(crd_dir.glob("*.yaml")):
        documents = crd_documents(path)
        if not any(doc["metadata"]["name"] in STRIP_DESCRIPTIONS for doc in documents):
            continue
        tidied = [
            without_descriptions(doc) if doc["metadata"]["name"] in STRIP_DESCRIPTIONS else doc
            for doc in documents
        ]
        text = yaml.safe_dump_all(tidied, sort_keys=False, explicit_start=True, width=1 << 16)
        path.write_text(text, encoding="utf-8")
        changed.append(path)
    return changed


def build(crd_dir: Path, out: Path) -> dict[str, int]:
    """Write every schema under out (replaced whole); count the schemas per CRD file."""
    files = sorted(crd_dir.glob("*.yaml"))
    if not files:
        raise ConversionError(f"no CRD files (*.yaml) in {crd_dir}; run `make crds`")
    converted: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    for path in files:
        for crd in crd_documents(path):
            schemas = schemas_of(crd)
            converted.update(schemas)
            counts[path.name] = counts.get(path.name, 0) + len(schemas)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out.parent))
    for name, schema in sorted(converted.items()):
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    os.replace(staging, out)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.crd_schemas", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--crds", type=Path, required=True, help="folder of generated CRDs")
    parser.add_argument("--out", type=Path, help="kubeconform schema folder to (re)write")
    parser.add_argument("--tidy", action="store_true", help="apply upstream publishing steps")
    args = parser.parse_args(argv)
    try:
        if args.tidy:
            for path in tidy(args.crds):
                print(f"{path}: descriptions stripped, as upstream publishes it")
        if args.out:
            for name, count in build(args.crds, args.out).items():
                print(f"{args.out}: {count} schema(s) from {name}")
    except (ConversionError, OSError, yaml.YAMLError) as exc:
        print(f"crd_schemas: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
