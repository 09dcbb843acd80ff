"""Prune: remove the trees whose cluster is gone, and only those.

A tree is an orphan only when the values file its generated header names no longer exists
(resolved against the one root of generator/output/layout.py), or that file now renders another
cluster. A tree whose values file was merely not named on this command line is left alone:
`render --prune values/homelab.yaml` must never take down output/lab.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from generator.errors import InvalidValues, os_error
from generator.fsinfo import kind_of
from generator.output.changes import TreeChanges, plan_changes
from generator.output.header import header_source
from generator.output.layout import repository_root, values_file_named
from generator.render import RETAINED_PREFIX
from generator.values.document import Document
from generator.values.load import load_file


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
        raise os_error(exc, "cannot read", output_dir, code="output-unreadable") from None


def tree_sources(tree: Path) -> set[str]:
    """The values files the generated headers in tree name."""
    sources = set()
    for entry in sorted(tree.iterdir()):
        if entry.is_symlink() or not entry.is_file():
            continue
        try:
            with entry.open("rb") as handle:
                first = handle.readline(4096).decode("utf-8", errors="replace")
        except OSError:
            continue
        source = header_source(first)
        if source is not None:
            sources.add(source)
    return sources


def _cluster_of(path: Path, shown: str) -> object:
    """The cluster name a values file sets, or None when it cannot be read as values."""
    try:
        return load_file(path, shown).data.get("cluster")
    except InvalidValues:
        return None


def gone_reason(tree: Path, source: str, root: Path, rendered: dict[str, str]) -> str | None:
    """Why the values file source no longer renders tree, or None when it may still do."""
    path = values_file_named(source, root)
    if not path.is_file():
        return f"{source} no longer exists"
    cluster = rendered.get(os.path.abspath(path))
    if cluster is None:
        cluster_now = _cluster_of(path, source)
        cluster = cluster_now if isinstance(cluster_now, str) else None
    if cluster is not None and cluster != tree.name:
        return f"{source} now renders cluster {cluster}"
    return None


def plan_orphans(output_dir: Path, docs: Sequence[Document]) -> list[TreeChanges]:
    """Removing the generated files of every tree of output_dir whose cluster is gone.

    Only files carrying the generated header go, never a class a rename kept
    (storageclass-retained-*.yaml); the folder goes too once it is empty.
    """
    root = repository_root(output_dir)
    rendered = {os.path.abspath(doc.file): doc.data["cluster"] for doc in docs}
    changes = []
    for tree in orphan_trees(output_dir, set(rendered.values())):
        sources = tree_sources(tree)
        reasons = [gone_reason(tree, source, root, rendered) for source in sorted(sources)]
        if not sources or None in reasons:
            continue
        orphan = "; ".join(str(reason) for reason in reasons)
        changes.append(plan_changes(tree, {}, orphan=orphan, keep=_kept_class))
    return changes


def _kept_class(name: str) -> str | None:
    if name.startswith(RETAINED_PREFIX):
        return "a class a rename replaced is removed only by hand"
    return None
