"""What bringing output/<cluster>/ in line with a rendered tree would change, and its diff.

Only regular files directly in the cluster folder are considered. A file is rewritten only when
its bytes change (generator/output/write.py). A file is removed only when it carries the
generated header and is no longer rendered, or is a temp file a killed render left behind
(`.NAME.nfs-gitops-XXXXXXXX.tmp`, holding nothing or the start of a generated file); anything a
human put there stays, even when its name looks like a temp file.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import OutputError, os_error
from generator.fsinfo import Kind, kind_of
from generator.output.header import GENERATED_MARK

# write_atomic's temp files: .NAME.nfs-gitops-<8 random characters>.tmp. The marker keeps a
# hand-made `.helm-values.20240101.tmp` from ever looking like one of ours.
TEMP_MARK = "nfs-gitops-"
TEMP_FILE = re.compile(r"^\..+\." + TEMP_MARK + r"[a-z0-9_]{8}\.tmp$")


@dataclass
class TreeChanges:
    """What writing one rendered tree would do."""

    tree: Path
    write: dict[str, str] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    remove: dict[str, str] = field(default_factory=dict)
    old: dict[str, str | None] = field(default_factory=dict)
    orphan: str | None = None  # why no values file renders this tree any more: remove it
    notes: list[str] = field(default_factory=list)  # what the summary must say (guard.py)

    @property
    def clean(self) -> bool:
        return not self.write and not self.remove


def _kind(path: Path) -> Kind:
    """What is at path, not following a link; an OutputError when it cannot be looked at."""
    try:
        return kind_of(path, follow=False)
    except OSError as exc:
        raise os_error(exc, "cannot look at", path, code="output-unreadable") from None


def tree_path(output_dir: Path, cluster: str) -> Path:
    """output_dir/cluster, refusing anything that would lead outside output_dir."""
    if not cluster or "/" in cluster or cluster in (".", ".."):
        raise OutputError(f"cluster name {cluster!r} cannot name a folder", code="output-name")
    tree = output_dir / cluster
    kind = _kind(tree)
    if kind == "symlink":
        message = f"{tree} is a symbolic link; refusing to write through it"
        raise OutputError(message, code="output-symlink", path=str(tree))
    if kind not in ("dir", "missing"):
        message = f"{tree} exists and is not a folder"
        raise OutputError(message, code="output-not-dir", path=str(tree))
    return tree


def _head(path: Path) -> bytes | None:
    """The first bytes of a regular file (as many as the generated mark), without blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, len(GENERATED_MARK))
    except OSError:
        return None
    finally:
        os.close(fd)


def is_generated(path: Path) -> bool:
    return _head(path) == GENERATED_MARK.encode()


def is_own_temp(path: Path) -> bool:
    """A temp file of write_atomic: its name, and nothing in it but the start of our output."""
    head = _head(path)
    return (
        TEMP_FILE.match(path.name) is not None
        and head is not None
        and GENERATED_MARK.encode().startswith(head)
    )


def plan_changes(
    tree: Path,
    files: dict[str, str],
    *,
    notes: Iterable[str] = (),
    orphan: str | None = None,
    keep: Callable[[str], str | None] = lambda _name: None,
) -> TreeChanges:
    """The changes that make tree hold exactly files. A generated file not among them goes,
    unless keep(name) says why it stays (a note). orphan: why no values file renders this tree
    any more (the folder goes too once empty)."""
    changes = TreeChanges(tree, orphan=orphan, notes=list(notes))
    for name, text in files.items():
        target = tree / name
        kind = _kind(target)
        if kind not in ("file", "missing"):
            message = f"{target} is not a regular file; refusing to replace it"
            code = "output-symlink" if kind == "symlink" else "output-not-file"
            raise OutputError(message, code=code, path=str(target))
        old = _read(target)
        if old == text:
            changes.unchanged.append(name)
        else:
            changes.write[name] = text
            changes.old[name] = old
    if _kind(tree) == "dir":
        try:
            entries = sorted(tree.iterdir())
        except OSError as exc:
            raise os_error(exc, "cannot read", tree, code="output-unreadable") from None
        for entry in entries:
            if entry.name in files or _kind(entry) != "file":
                continue
            if not (is_generated(entry) or is_own_temp(entry)):
                continue
            why = keep(entry.name)
            if why is None:
                changes.remove[entry.name] = _read(entry) or ""
            else:
                changes.notes.append(f"kept {entry}: {why}")
    return changes


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_error(exc, "cannot read", path, code="output-unreadable") from None


def stale_files(changes: TreeChanges) -> dict[str, str]:
    """Each file `render --check` finds stale, with what is wrong with it."""
    found = {}
    for name in changes.write:
        missing = changes.old.get(name) is None
        found[f"{changes.tree}/{name}"] = (
            "is missing" if missing else "differs from what the values render to"
        )
    for name in changes.remove:
        if TEMP_FILE.match(name):
            found[f"{changes.tree}/{name}"] = "is a temp file left by an interrupted render"
        elif changes.orphan:
            found[f"{changes.tree}/{name}"] = f"belongs to a gone cluster ({changes.orphan})"
        else:
            found[f"{changes.tree}/{name}"] = "is generated but no longer rendered"
    return found


def unified_diff(changes: TreeChanges) -> str:
    """A unified diff from what is on disk to what would be written, file by file."""
    chunks: list[str] = []
    for name in sorted([*changes.write, *changes.remove]):
        path = f"{changes.tree}/{name}"
        old = changes.old.get(name) if name in changes.write else changes.remove[name]
        new = changes.write.get(name, "")
        chunks.extend(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=path if old is not None else "/dev/null",
                tofile=path if name in changes.write else "/dev/null",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)
