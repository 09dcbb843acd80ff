"""Plan the trees of validated values documents: what rendering them into output_dir changes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from generator.errors import InvalidValues, Problem
from generator.model import build_model
from generator.output.changes import TreeChanges, plan_changes, tree_path
from generator.output.guard import Options, guarded_render
from generator.output.layout import header_name
from generator.values.document import Document


def plan_tree(doc: Document, output_dir: Path, options: Options | None = None) -> TreeChanges:
    """What rendering one validated values document into output_dir/<cluster>/ would change.

    Raises InvalidValues when the change is one the cluster would refuse (output/guard.py).
    """
    # Headers name the values file relative to the one root (generator/output/layout.py).
    source = doc.file if doc.path is None else header_name(doc.path, output_dir)
    model = build_model(doc.data, source)
    tree = tree_path(output_dir, model.names.cluster)
    guarded = guarded_render(doc, model, tree, options or Options())
    return plan_changes(tree, guarded.files, notes=guarded.notes)


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
