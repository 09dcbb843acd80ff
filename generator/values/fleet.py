"""A fleet: the cluster values files of a folder, their shared defaults, and the fleet rules.

A folder of values files is a fleet. Files whose name starts with '_' or '.' are not clusters;
`_defaults.yaml` holds values every cluster file in its folder deep-merges over
(generator/values/merge.py). Each defaults file is loaded and checked once per run, and its
problems are reported once, not once per cluster merged over it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from generator.errors import BadUsage, InvalidValues, Problem
from generator.fsinfo import kind_of
from generator.values.document import Document
from generator.values.load import load_bytes, load_file
from generator.values.merge import merge
from generator.values.validate import validate

DEFAULTS_FILE = "_defaults.yaml"
# The checks of a later stage a caller adds (generator/model/checks.py: name_problems).
Extra = Callable[[Document], list[Problem]]
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


class SharedDefaults:
    """The defaults files of a run, each loaded and checked once; problems kept, reported once."""

    def __init__(self) -> None:
        self._loaded: dict[Path, Document | None] = {}
        self.problems: list[Problem] = []

    def over(self, doc: Document, path: Path) -> Document | None:
        """doc merged over the defaults beside path; None when those defaults are refused."""
        shared = defaults_path(path)
        if shared is None:
            return doc
        if shared not in self._loaded:
            self._loaded[shared] = self._load(shared)
        base = self._loaded[shared]
        return None if base is None else merge(base, doc)

    def _load(self, path: Path) -> Document | None:
        try:
            doc = load_file(path, display_name(path))
        except InvalidValues as exc:
            self.problems.extend(exc.problems)
            return None
        found = defaults_problems(doc)
        self.problems.extend(found)
        return None if found else doc


def load_valid(paths: Sequence[Path], extra: Extra | None = None) -> list[Document]:
    """Load and validate every cluster file (folders expand to the cluster files in them), each
    merged over the _defaults.yaml beside it; raise InvalidValues with every problem found.
    extra: the checks of a later stage (the model's names), run on each valid document."""
    files, problems = cluster_files(paths)
    if problems:
        raise InvalidValues(problems)
    if not files:
        shown = " ".join(path.as_posix() for path in paths)
        raise BadUsage(f"no cluster values files in {shown} (files starting with _ are not)")
    shared = SharedDefaults()
    docs: list[Document] = []
    for path in files:
        try:
            doc = shared.over(load_file(path, display_name(path)), path)
            if doc is not None:  # the defaults' problems are reported once, not per cluster
                validate(doc)
                _extra(doc, extra)
                docs.append(doc)
        except InvalidValues as exc:
            problems.extend(exc.problems)
    problems += shared.problems + fleet_problems(docs)
    if problems:
        # A problem in shared defaults shows up in every cluster merged over them: report it once.
        raise InvalidValues(list(dict.fromkeys(problems)))
    return docs


def validate_new(raw: bytes, path: Path, extra: Extra | None = None) -> Document:
    """Validate the text of a values file about to be written to path, as render will read it
    (merged over the _defaults.yaml beside it); raise InvalidValues located in that file."""
    shared = SharedDefaults()
    doc = shared.over(load_bytes(raw, display_name(path)), path)
    if doc is None:
        raise InvalidValues(shared.problems)
    validate(doc)
    _extra(doc, extra)
    return doc


def _extra(doc: Document, extra: Extra | None) -> None:
    problems = extra(doc) if extra is not None else []
    if problems:
        raise InvalidValues(problems)


def gitops_path(values: dict[str, Any]) -> str:
    """Path of the cluster's tree in Git: gitops.path, else output/<cluster>."""
    path = (values.get("gitops") or {}).get("path")
    return path if isinstance(path, str) else f"output/{values['cluster']}"


def fleet_problems(docs: list[Document]) -> list[Problem]:
    """The rules across clusters: one file per cluster name, one cluster per Git path."""
    problems = []
    by_cluster: dict[str, Document] = {}
    by_path: dict[str, Document] = {}
    for doc in docs:
        cluster, path = doc.data["cluster"], gitops_path(doc.data)
        if cluster in by_cluster:
            message = f"cluster {cluster!r} is also rendered from {by_cluster[cluster].file}"
            problems.append(doc.problem(("cluster",), message, "cluster-duplicate"))
        by_cluster.setdefault(cluster, doc)
        if path in by_path and by_path[path].data["cluster"] != cluster:
            other = by_path[path]
            message = (
                f"Git path {path!r} is also the path of cluster {other.data['cluster']!r} "
                f"({other.file})"
            )
            problems.append(doc.problem(("gitops", "path"), message, "gitops-path-duplicate"))
        by_path.setdefault(path, doc)
    return problems
