"""Deep merge of a cluster file over shared defaults, remembering where every value came from.

Mappings merge key by key; lists and scalars (null included) replace, except `exports`, which
merges by `name`: an export of the cluster merges over the defaults' export of the same name
(mapping by mapping), the cluster's exports keep their order and the defaults' other exports
follow. When the cluster file lists `exports`, the defaults' single-form keys (`nfs.*`,
`storageClass.*`) apply to each export that does not set them, except the naming keys
(storageClass.name, storageClass.provisionerName, chart.releaseName) and storageClass.default
(generator/values/exports.py: NOT_SHARED). A merged document remembers which file every value
came from, so a problem points at the file, line and column that is wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from generator.values.document import Document, JsonPath
from generator.values.exports import NOT_SHARED


@dataclass
class MergedDocument(Document):
    """A cluster file merged over shared defaults; origins maps each path to its file."""

    origins: dict[JsonPath, str] = field(default_factory=dict)

    def origin(self, path: JsonPath) -> str:
        return self.origins.get(path, self.file)


def merge(defaults: Document, cluster: Document) -> MergedDocument:
    """cluster deep-merged over defaults, each value located in the file it came from."""
    merged = MergedDocument(cluster.file, {}, path=cluster.path)
    merged.data = _merge_mapping(defaults, cluster, defaults.data, cluster.data, (), merged)
    _record(cluster, (), merged)
    if isinstance(cluster.data.get("exports"), list):
        _spread(defaults, cluster, merged)
    return merged


def _shifted(doc: Document, source: JsonPath, target: JsonPath) -> Document:
    """doc with the positions under source moved to target (a value placed elsewhere)."""

    def move(table: dict[JsonPath, Any]) -> dict[JsonPath, Any]:
        return {
            (*target, *path[len(source) :]): at
            for path, at in table.items()
            if path[: len(source)] == source
        }

    return Document(doc.file, doc.data, move(doc.positions), move(doc.key_positions), doc.path)


def _by_name(
    base_doc: Document, over_doc: Document, base: list[Any], over: list[Any], merged: MergedDocument
) -> list[Any]:
    """The exports of over, each merged over base's export of its name, then base's others."""
    named = {item.get("name"): i for i, item in enumerate(base) if isinstance(item, dict)}
    result: list[Any] = []
    used: set[int] = set()
    for index, item in enumerate(over):
        at: JsonPath = ("exports", index)
        found = named.get(item.get("name")) if isinstance(item, dict) else None
        if found is None or not isinstance(item, dict):
            result.append(item)
            _record_tree(over_doc, item, at, merged)
            continue
        used.add(found)
        shifted = _shifted(base_doc, ("exports", found), at)
        result.append(_merge_mapping(shifted, over_doc, base[found], item, at, merged))
        _record(over_doc, at, merged)
    for found, item in enumerate(base):
        if found not in used:
            at = ("exports", len(result))
            result.append(copy.deepcopy(item))
            _record_tree(_shifted(base_doc, ("exports", found), at), item, at, merged)
    return result


def _spread(defaults: Document, cluster: Document, merged: MergedDocument) -> None:
    """The defaults' nfs.* and storageClass.* in each export that does not set them; the
    single-form keys that came from the defaults only leave the top level."""
    data = merged.data
    for group, prefix in (("nfs", ()), ("storageClass", ("storageClass",))):
        shared = defaults.data.get(group)
        if group in cluster.data or not isinstance(shared, dict):
            continue
        del data[group]
        for index, export in enumerate(data["exports"]):
            if not isinstance(export, dict):
                continue
            target = export.setdefault(prefix[0], {}) if prefix else export
            if not isinstance(target, dict):
                continue
            for key, value in shared.items():
                if key in target or (group, key) in NOT_SHARED:
                    continue
                target[key] = copy.deepcopy(value)
                at = ("exports", index, *prefix, key)
                _record_tree(_shifted(defaults, (group, key), at), value, at, merged)
    chart = data.get("chart")
    if "releaseName" not in (cluster.data.get("chart") or {}) and isinstance(chart, dict):
        chart.pop("releaseName", None)


def _merge_mapping(
    base_doc: Document,
    over_doc: Document,
    base: dict[str, Any],
    over: dict[str, Any],
    path: JsonPath,
    merged: MergedDocument,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in [*base, *(key for key in over if key not in base)]:
        at = (*path, key)
        if key not in over:
            # Defaults are shared by every cluster of the folder: each gets its own copy.
            result[key] = copy.deepcopy(base[key])
            _record_tree(base_doc, result[key], at, merged)
        elif (
            not path
            and key == "exports"
            and isinstance(base.get(key), list)
            and isinstance(over[key], list)
        ):
            result[key] = _by_name(base_doc, over_doc, base[key], over[key], merged)
        elif key in base and isinstance(base[key], dict) and isinstance(over[key], dict):
            result[key] = _merge_mapping(base_doc, over_doc, base[key], over[key], at, merged)
            _record(over_doc, at, merged)
        else:
            result[key] = over[key]
            _record_tree(over_doc, over[key], at, merged)
    return result


def _record(doc: Document, path: JsonPath, merged: MergedDocument) -> None:
    if path in doc.positions:
        merged.positions[path] = doc.positions[path]
    if path in doc.key_positions:
        merged.key_positions[path] = doc.key_positions[path]
    merged.origins[path] = doc.file


def _record_tree(doc: Document, value: Any, path: JsonPath, merged: MergedDocument) -> None:
    for each in _paths(value, path):
        _record(doc, each, merged)


def _paths(value: Any, path: JsonPath) -> Iterator[JsonPath]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))
