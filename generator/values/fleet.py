"""A fleet: the cluster values files of a folder, their shared defaults, and trees of gone clusters.

A folder of values files is a fleet. Files whose name starts with '_' or '.' are not clusters;
`_defaults.yaml` holds values every cluster file in its folder deep-merges over: mappings merge
key by key, lists and scalars (null included) replace. A merged document remembers which file
every value came from, so a problem points at the file, line and column that is wrong.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import OutputError, Problem
from generator.fsinfo import kind_of
from generator.load import Document, JsonPath

DEFAULTS_FILE = "_defaults.yaml"
SUFFIXES = (".yaml", ".yml")


def is_cluster_file(path: Path) -> bool:
    return not path.name.startswith(("_", "."))


def display_name(path: Path) -> str:
    """How a values file is named in messages: relative to here when inside. The file's own
    name is kept (a link is named as such, not after its target)."""
    try:
        where = Path(os.path.abspath(path)).parent.resolve() / path.name
        return where.relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def _is_dir(path: Path) -> bool:
    try:
        return kind_of(path) == "dir"
    except OSError:
        return False  # read as a file: loading it reports why it cannot be read


def cluster_files(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """The values files named, with each folder replaced by the cluster files in it, and a
    problem for each folder that cannot be listed.

    Files starting with '_' or '.' are skipped even when named, so `values/*.yaml` works. In a
    folder, anything named *.yaml that is not a folder counts (a FIFO or a dangling link is
    then refused by the loader, not silently skipped).
    """
    found: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if _is_dir(path):
            try:
                entries = sorted(path.iterdir())
            except OSError as exc:
                message = f"cannot list the folder: {exc.strerror}"
                problems.append(
                    Problem(display_name(path), 1, 1, "(root)", message, "file-unreadable")
                )
                continue
            found.extend(
                entry
                for entry in entries
                if entry.suffix in SUFFIXES and is_cluster_file(entry) and not _is_dir(entry)
            )
        elif is_cluster_file(path):
            found.append(path)
    return found, problems


def defaults_path(values: Path) -> Path | None:
    """The shared defaults file beside a values file, when there is anything by that name: a
    dangling link, a FIFO or a folder there is refused when loaded, never skipped."""
    candidate = values.parent / DEFAULTS_FILE
    try:
        return None if kind_of(candidate, follow=False) == "missing" else candidate
    except OSError:
        return candidate


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


def orphan_trees(output_dir: Path, clusters: set[str]) -> list[Path]:
    """Folders of output_dir that no rendered cluster owns (symbolic links never followed)."""
    try:
        if kind_of(output_dir, follow=False) != "dir":
            return []
        entries = sorted(output_dir.iterdir())
        return [
            entry
            for entry in entries
            if entry.name not in clusters
            and not entry.name.startswith(".")
            and kind_of(entry, follow=False) == "dir"
        ]
    except OSError as exc:
        raise OutputError(
            f"cannot read {output_dir}: {exc.strerror}",
            code="output-unreadable",
            path=str(output_dir),
        ) from None
