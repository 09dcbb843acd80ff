"""Bring output/<cluster>/ in line with a rendered tree, touching nothing else.

Only regular files directly in the cluster folder are considered. A file is rewritten only when
its bytes change, atomically (temp file, rename). A file is removed only when it carries
the generated header and is no longer rendered, or is a temp file a killed render left behind
(`.NAME.nfs-gitops-XXXXXXXX.tmp`, holding nothing or the start of a generated file); anything a
human put there stays, even when its name looks like a temp file.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import OutputError
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
        message = f"cannot look at {path}: {exc.strerror}"
        raise OutputError(message, code="output-unreadable", path=str(path)) from None


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


def plan_changes(tree: Path, files: dict[str, str]) -> TreeChanges:
    changes = TreeChanges(tree)
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
            message = f"cannot read {tree}: {exc.strerror}"
            raise OutputError(message, code="output-unreadable", path=str(tree)) from None
        for entry in entries:
            if entry.name in files or _kind(entry) != "file":
                continue
            if is_generated(entry) or is_own_temp(entry):
                changes.remove[entry.name] = _read(entry) or ""
    return changes


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        message = f"cannot read {path}: {exc.strerror}"
        raise OutputError(message, code="output-unreadable", path=str(path)) from None


def apply_changes(changes: TreeChanges) -> None:
    try:
        changes.tree.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        message = f"cannot create {changes.tree}: {exc.strerror}"
        raise OutputError(message, code="output-unwritable", path=str(changes.tree)) from None
    for name, text in changes.write.items():
        write_atomic(changes.tree / name, text.encode("utf-8"))
    for name in changes.remove:
        try:
            (changes.tree / name).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            target = changes.tree / name
            message = f"cannot remove {target}: {exc.strerror}"
            raise OutputError(message, code="output-unwritable", path=str(target)) from None
    if changes.orphan:
        # Fails while something not generated is still in there: it stays, and so does the folder.
        with contextlib.suppress(OSError):
            changes.tree.rmdir()


def write_atomic(target: Path, data: bytes) -> None:
    """Replace target with data so readers see the old or the new file, never a mix."""
    import tempfile  # here, not at the top: a check writes nothing and skips its import

    try:
        fd, temp = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.{TEMP_MARK}", suffix=".tmp"
        )
    except OSError as exc:
        message = f"cannot write in {target.parent}: {exc.strerror}"
        raise OutputError(message, code="output-unwritable", path=str(target.parent)) from None
    try:
        # No fsync: the rename alone keeps readers from seeing a mix, and the tree is rebuilt
        # from values/ (render --check finds any damage). An fsync per file cost 5-20 ms, which
        # made a fleet of 1,000 clusters (9,000 files) take minutes to render.
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        message = f"cannot write {target}: {exc.strerror}"
        raise OutputError(message, code="output-write", path=str(target)) from None


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
