"""The library API: values files in, planned tree changes out. The CLI is a thin wrapper."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from generator.errors import BadUsage, InvalidValues, Problem
from generator.load import Document, load_bytes, load_file
from generator.model import build_model, gitops_path
from generator.output.guard import Options, guarded_render
from generator.output.layout import header_name
from generator.output.prune import plan_orphans
from generator.output.write import TreeChanges, plan_changes, tree_path
from generator.values.fleet import (
    cluster_files,
    defaults_path,
    defaults_problems,
    display_name,
    merge,
)
from generator.values.validate import validate


def load_valid(paths: Sequence[Path]) -> list[Document]:
    """Load and validate every cluster file (folders expand to the cluster files in them), each
    merged over the _defaults.yaml beside it; raise InvalidValues with every problem found."""
    files, problems = cluster_files(paths)
    if problems:
        raise InvalidValues(problems)
    if not files:
        shown = " ".join(path.as_posix() for path in paths)
        raise BadUsage(f"no cluster values files in {shown} (files starting with _ are not)")
    docs: list[Document] = []
    defaults: dict[Path, Document | None] = {}
    for path in files:
        try:
            loaded = load_file(path, display_name(path))
        except InvalidValues as exc:
            problems.extend(exc.problems)
            continue
        doc = _over_defaults(loaded, path, defaults, problems)
        if doc is None:
            continue  # the defaults' problems are reported once, not once per cluster
        try:
            validate(doc)
        except InvalidValues as exc:
            problems.extend(exc.problems)
        else:
            docs.append(doc)
    problems.extend(_duplicate_clusters(docs))
    problems.extend(_duplicate_paths(docs))
    if problems:
        # A problem in shared defaults shows up in every cluster merged over them: report it once.
        raise InvalidValues(list(dict.fromkeys(problems)))
    return docs


def validate_new(raw: bytes, path: Path) -> Document:
    """Validate the text of a values file about to be written to path, as render will read it
    (merged over the _defaults.yaml beside it); raise InvalidValues located in that file."""
    problems: list[Problem] = []
    doc = _over_defaults(load_bytes(raw, display_name(path)), path, {}, problems)
    if doc is None:
        raise InvalidValues(problems)
    validate(doc)
    return doc


def _over_defaults(
    doc: Document, path: Path, cache: dict[Path, Document | None], problems: list[Problem]
) -> Document | None:
    """doc merged over the shared defaults beside path; None when those defaults are refused."""
    shared = defaults_path(path)
    if shared is None:
        return doc
    if shared not in cache:
        cache[shared] = _load_defaults(shared, problems)
    base = cache[shared]
    return None if base is None else merge(base, doc)


def _load_defaults(path: Path, problems: list[Problem]) -> Document | None:
    try:
        doc = load_file(path, display_name(path))
    except InvalidValues as exc:
        problems.extend(exc.problems)
        return None
    found = defaults_problems(doc)
    problems.extend(found)
    return None if found else doc


def _duplicate_clusters(docs: list[Document]) -> list[Problem]:
    first: dict[str, Document] = {}
    problems = []
    for doc in docs:
        cluster = doc.data["cluster"]
        if cluster in first:
            problems.append(
                doc.problem(
                    ("cluster",),
                    f"cluster {cluster!r} is also rendered from {first[cluster].file}",
                    "cluster-duplicate",
                )
            )
        first.setdefault(cluster, doc)
    return problems


def _duplicate_paths(docs: list[Document]) -> list[Problem]:
    """Two clusters must not claim the same Git path (gitops.path, default output/<cluster>)."""
    first: dict[str, Document] = {}
    problems = []
    for doc in docs:
        path = gitops_path(doc.data)
        if path in first and first[path].data["cluster"] != doc.data["cluster"]:
            problems.append(
                doc.problem(
                    ("gitops", "path"),
                    f"Git path {path!r} is also the path of cluster "
                    f"{first[path].data['cluster']!r} ({first[path].file})",
                    "gitops-path-duplicate",
                )
            )
        first.setdefault(path, doc)
    return problems


def plan_tree(doc: Document, output_dir: Path, options: Options | None = None) -> TreeChanges:
    """What rendering one validated values document into output_dir/<cluster>/ would change.

    Raises InvalidValues when the change is one the cluster would refuse (generator/guard.py).
    """
    # Headers name the values file relative to the one root (generator/layout.py).
    source = doc.file if doc.path is None else header_name(doc.path, output_dir)
    model = build_model(doc.data, source)
    tree = tree_path(output_dir, model.names.cluster)
    guarded = guarded_render(doc, model, tree, options or Options())
    changes = plan_changes(tree, guarded.files)
    changes.notes.extend(guarded.notes)
    return changes


def plan_trees(
    docs: Iterable[Document], output_dir: Path, options: Options | None = None
) -> list[TreeChanges]:
    """plan_tree for each document; every refused change of every tree is reported at once."""
    changes: list[TreeChanges] = []
    problems: list[Problem] = []
    for doc in docs:
        try:
            changes.append(plan_tree(doc, output_dir, options))
        except InvalidValues as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidValues(problems)
    return changes


def plan(
    paths: Sequence[Path],
    output_dir: Path,
    *,
    prune: bool = False,
    options: Options | None = None,
) -> list[TreeChanges]:
    """Everything that rendering these values files into output_dir would change.

    With prune, trees whose values file is gone (generator/prune.py) are removed as well.
    """
    docs = load_valid(paths)
    changes = plan_trees(docs, output_dir, options)
    if prune:
        changes.extend(plan_orphans(output_dir, docs))
    return changes
