"""Deep merge of a cluster file over shared defaults, remembering where every value came from.

Mappings merge key by key; lists and scalars (null included) replace. A merged document remembers
which file every value came from, so a problem points at the file, line and column that is wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from generator.values.document import Document, JsonPath


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
    return merged


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
