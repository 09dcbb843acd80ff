"""Build self-contained kubeconform schemas for built-in Kubernetes kinds, offline.

Input: the wheel of the PyPI package kubernetes-validate, which ships, per Kubernetes version,
`kubernetes_validate/kubernetes-json-schema/v1.N.0-local-strict/<kind>-<group>-<version>.json`.
Those files `$ref` `/api/_definitions.json#/$defs/X` under a kubernetes.io `$id`, so kubeconform
would try to fetch them. For every file that describes a resource (it has
`x-kubernetes-group-version-kind`) this writes a copy with the transitive closure of the
definitions it needs inlined under its own `$defs`, refs rewritten to `#/$defs/X` and `$id`
dropped, into kubeconform's layout:

    OUT/v1.N.0-standalone-strict/<kind>-<group>-<version>.json

which `-schema-location 'OUT/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/
{{ .ResourceKind }}{{ .KindSuffix }}.json'` finds. Only the strict flavour is built: nfs-gitops
always runs kubeconform with -strict.

    python -m devtools.k8s_schemas --wheel WHEEL --out DIR 1.33 1.34 ...
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

PACKAGE_DIR = "kubernetes_validate/kubernetes-json-schema"
DEFINITIONS = "_definitions.json"
REF_PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")
MINOR = re.compile(r"^1\.[0-9]+$")


class ConversionError(Exception):
    """The input is not what this converter understands; stop rather than guess."""


def source_dir(minor: str) -> str:
    """One version's strict schemas in the wheel: 1.37 -> .../v1.37.0-local-strict."""
    return f"{PACKAGE_DIR}/v{minor}.0-local-strict"


def target_dir(minor: str) -> str:
    """kubeconform's {{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}: 1.37 ->
    v1.37.0-standalone-strict (nfs-gitops passes -kubernetes-version 1.37.0 and -strict)."""
    return f"v{minor}.0-standalone-strict"


def refs(node: Any) -> Iterator[str]:
    """Every $ref string anywhere in a JSON value."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def definition_name(ref: str) -> str:
    """X of a ref into the definitions: /api/_definitions.json#/$defs/X (from a kind's file) or
    #/$defs/X (between definitions, inside _definitions.json)."""
    for prefix in REF_PREFIXES:
        if ref.startswith(prefix) and len(ref) > len(prefix) and "/" not in ref[len(prefix) :]:
            return ref[len(prefix) :]
    raise ConversionError(f"unexpected $ref {ref!r}; expected {REF_PREFIXES[0]}<name>")


def rewrite(node: Any) -> Any:
    """A copy of node with every /api/_definitions.json#/$defs/X ref turned into #/$defs/X."""
    if isinstance(node, dict):
        return {
            key: (
                f"#/$defs/{definition_name(value)}"
                if key == "$ref" and isinstance(value, str)
                else rewrite(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [rewrite(item) for item in node]
    return node


def closure(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> list[str]:
    """Names of every definition schema needs, directly or through other definitions, sorted."""
    needed: set[str] = set()
    todo = [definition_name(ref) for ref in refs(schema)]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if name not in definitions:
            raise ConversionError(f"$ref to {name!r}, which {DEFINITIONS} does not define")
        needed.add(name)
        todo.extend(definition_name(ref) for ref in refs(definitions[name]))
    return sorted(needed)


def standalone(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> dict[str, Any]:
    """The self-contained version of one schema: no $id, its definitions inlined under $defs."""
    result: dict[str, Any] = rewrite({k: v for k, v in schema.items() if k != "$id"})
    names = closure(schema, definitions)
    if names:
        result["$defs"] = {name: rewrite(definitions[name]) for name in names}
    return result


def is_resource(schema: Mapping[str, Any]) -> bool:
    """True for top-level kinds (what kubeconform looks up), not their component types."""
    return bool(schema.get("x-kubernetes-group-version-kind"))


def convert_version(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """One version's package files (name -> JSON bytes) to kubeconform files (name -> bytes)."""
    if DEFINITIONS not in files:
        raise ConversionError(f"{DEFINITIONS} is missing")
    definitions = json.loads(files[DEFINITIONS]).get("$defs")
    if not isinstance(definitions, dict):
        raise ConversionError(f"{DEFINITIONS} has no $defs mapping")
    out: dict[str, bytes] = {}
    for name, data in sorted(files.items()):
        if name == DEFINITIONS or not name.endswith(".json"):
            continue
        schema = json.loads(data)
        if isinstance(schema, dict) and is_resource(schema):
            text = json.dumps(standalone(schema, definitions), separators=(",", ":"))
            out[name] = text.encode()
    if not out:
        raise ConversionError("no resource schemas found")
    return out


def read_wheel(wheel: Path, minor: str) -> dict[str, bytes]:
    """The schema files of one version in the wheel, by file name."""
    prefix = source_dir(minor) + "/"
    with zipfile.ZipFile(wheel) as archive:
        files = {
            member[len(prefix) :]: archive.read(member)
            for member in archive.namelist()
            if member.startswith(prefix) and "/" not in member[len(prefix) :]
        }
    if not files:
        raise ConversionError(f"{wheel} has no schemas for Kubernetes {minor} ({prefix})")
    return files


def build(wheel: Path, out: Path, minors: Sequence[str]) -> dict[str, int]:
    """Write every version's schemas under out, each folder replaced whole; count per version."""
    counts: dict[str, int] = {}
    out.mkdir(parents=True, exist_ok=True)
    for minor in minors:
        if not MINOR.match(minor):
            raise ConversionError(f"version {minor!r} is not a Kubernetes minor like 1.37")
        converted = convert_version(read_wheel(wheel, minor))
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
        for name, data in converted.items():
            (staging / name).write_bytes(data)
        final = out / target_dir(minor)
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
        counts[minor] = len(converted)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.k8s_schemas", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--wheel", type=Path, required=True, help="kubernetes-validate wheel")
    parser.add_argument("--out", type=Path, required=True, help="schema cache folder")
    parser.add_argument("versions", nargs="+", help="Kubernetes minors, e.g. 1.33 1.37")
    args = parser.parse_args(argv)
    try:
        counts = build(args.wheel, args.out, args.versions)
    except (ConversionError, OSError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        print(f"k8s_schemas: {exc}", file=sys.stderr)
        return 1
    for minor, count in counts.items():
        print(f"{args.out / target_dir(minor)}: {count} schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main())
