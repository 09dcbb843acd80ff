"""The render use-case: plan every tree under the output lock, then write it, or only compare it
(--check). Nothing is written when any tree is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from generator.output.changes import TreeChanges, stale_files
from generator.output.guard import Options
from generator.output.lock import output_lock
from generator.output.plan import plan_trees
from generator.output.prune import plan_orphans
from generator.output.write import apply_changes
from generator.result import Result
from generator.values.document import Document

Progress = Callable[[Sequence[Document]], AbstractContextManager[Iterable[Document]]]


@dataclass
class Rendered(Result):
    """A render's Result, with the planned trees (their diffs are the report's)."""

    trees: list[TreeChanges] = field(default_factory=list)
    checked: bool = False  # --check: compared, nothing written

    @property
    def stale(self) -> list[TreeChanges]:
        return [tree for tree in self.trees if not tree.clean]


def render_trees(
    docs: Sequence[Document],
    output_dir: Path,
    options: Options,
    *,
    prune: bool = False,
    lock_timeout: float,
    progress: Progress = nullcontext,
    notify: Callable[[str], None] = lambda _note: None,
) -> Rendered:
    """Plan the trees of docs in output_dir (and with prune, the removal of gone clusters'
    trees), then write them unless options.check. notify hears each note as soon as it is known
    (before anything is written); progress wraps the documents while they are planned."""
    with output_lock(output_dir, timeout=lock_timeout, shared=options.check):
        with progress(docs) as each:
            trees = plan_trees(each, output_dir, options)
        if prune:
            trees += plan_orphans(output_dir, docs)
        notes = [note for tree in trees for note in tree.notes]
        for note in notes:
            notify(note)
        if not options.check:
            for tree in trees:
                apply_changes(tree)
    drift = {} if not options.check else _drift(trees)
    counts = {
        "clusters": len(docs),
        "written": sum(len(tree.write) for tree in trees),
        "unchanged": sum(len(tree.unchanged) for tree in trees),
        "removed": sum(len(tree.remove) for tree in trees),
    }
    return Rendered(drift=drift, notes=notes, counts=counts, trees=trees, checked=options.check)


def _drift(trees: list[TreeChanges]) -> dict[str, str]:
    return {
        path: why for tree in trees if not tree.clean for path, why in stale_files(tree).items()
    }
