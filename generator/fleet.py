"""A fleet: the cluster values files of a folder, their shared defaults, and trees of gone clusters.

A folder of values files is a fleet. Files whose name starts with '_' or '.' are not clusters;
`_defaults.yaml` holds values every cluster file in its folder deep-merges over: mappings merge
key by key, lists and scalars (null included) replace. A merged document remembers which file
every value came from, so a problem points at the file, line and column that is wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import Problem
from generator.load import Document, JsonPath

DEFAULTS_FILE = "_defaults.yaml"
SUFFIXES = (".yaml", ".yml")


def is_cluster_file(path: Path) -> bool:
    return not path.name.startswith(("_", "."))


def cluster_files(paths: Sequence[Path]) -> list[Path]:
    """The values files named, with each folder replaced by the cluster files in it.

    Files starting with '_' or '.' are skipped even when named, so `values/*.yaml` works.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    entry
                    for entry in path.iterdir()
                    if entry.suffix in SUFFIXES and is_cluster_file(entry) and entry.is_file()
                )
            )
        elif is_cluster_file(path):
            found.append(path)
    return found


def defaults_path(values: Path) -> Path | None:
    """The shared defaults file beside a values file, when there is one."""
    candidate = values.parent / DEFAULTS_FILE
    return candidate if candidate.is_file() else None


def defaults_problems(doc: Document) -> list[Problem]:
    """What a defaults file may not hold: the one value that must differ per cluster."""
    if "cluster" in doc.data:
        return [
            doc.problem(
                ("cluster",),
                "shared defaults cannot set the cluster name; set it in each cluster's file",
                "defaults-cluster",
                key=True,
            )
        ]
    return []


@dataclass
class MergedDocument(Document):
    """A cluster file merged over shared defaults; origins maps each path to its file."""

    origins: dict[JsonPath, str] = field(default_factory=dict)

    def origin(self, path: JsonPath) -> str:
        return self.origins.get(path, self.file)


def merge(defaults: Document, cluster: Document) -> MergedDocument:
    """cluster deep-merged over defaults, each value located in the file it came from."""
    merged = MergedDocument(cluster.file, {})
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


def orphan_trees(output_dir: Path, clusters: set[str]) -> list[Path]:
    """Folders of output_dir that no rendered cluster owns (symbolic links never followed)."""
    if not output_dir.is_dir() or output_dir.is_symlink():
        return []
    return [
        entry
        for entry in sorted(output_dir.iterdir())
        if entry.name not in clusters
        and not entry.name.startswith(".")
        and entry.is_dir()
        and not entry.is_symlink()
    ]
