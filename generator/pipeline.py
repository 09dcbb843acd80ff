"""The library API: values files in, planned tree changes out. The CLI is a thin wrapper."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from generator.errors import InvalidValues, Problem
from generator.load import Document, load_file
from generator.model import build_model
from generator.render import render
from generator.validate import validate
from generator.write import TreeChanges, plan_changes, tree_path


def display_name(path: Path) -> str:
    """How a values file is named in messages and headers: relative to here when inside."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_valid(paths: Sequence[Path]) -> list[Document]:
    """Load and validate every file; raise InvalidValues with every problem of every file."""
    docs: list[Document] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            doc = load_file(path, display_name(path))
            validate(doc)
        except InvalidValues as exc:
            problems.extend(exc.problems)
        else:
            docs.append(doc)
    problems.extend(_duplicate_clusters(docs))
    if problems:
        raise InvalidValues(problems)
    return docs


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


def plan(paths: Sequence[Path], output_dir: Path) -> list[TreeChanges]:
    """Everything that rendering these values files into output_dir would change."""
    changes = []
    for doc in load_valid(paths):
        model = build_model(doc.data, doc.file)
        files = render(model)
        changes.append(plan_changes(tree_path(output_dir, model.names.cluster), files))
    return changes
