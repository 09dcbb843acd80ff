"""One render at a time per output folder: an advisory lock on OUTPUT_DIR/.nfs-gitops.lock.

The lock file lives in the output folder, not in any cluster tree, so it is never rendered,
compared or removed, and kustomize (which builds OUTPUT_DIR/<cluster>) never sees it. A writer
makes sure OUTPUT_DIR/.gitignore lists it, so it stays out of Git in any repository, whatever
the repository's own .gitignore says. The kernel drops the lock when the holder exits, however
it exits, so a killed render never blocks the next one.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.errors import OutputError, os_error

LOCK_NAME = ".nfs-gitops.lock"
GITIGNORE = ".gitignore"
IGNORE_LINE = f"/{LOCK_NAME}"
GITIGNORE_TEXT = (
    "# Written by nfs-gitops: the lock of concurrent renders is not part of any tree. Commit this\n"
    "# file; lines you add are kept.\n"
    f"{IGNORE_LINE}\n"
)
DEFAULT_TIMEOUT = 60.0
_POLL = 0.05


@contextmanager
def output_lock(output_dir: Path, *, timeout: float, shared: bool = False) -> Iterator[None]:
    """Hold the lock of output_dir, waiting up to timeout seconds for another render.

    Writers (shared=False) create output_dir and the lock file. Readers (`render --check`)
    write nothing: they take a shared lock only when the lock file already exists.
    """
    path = output_dir / LOCK_NAME
    if shared:
        try:
            # O_NONBLOCK: a FIFO planted here must not block the open (it is refused below).
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            yield  # no render ever ran here, or we cannot read it: nothing to wait for
            return
    else:
        fd = _open_for_writing(output_dir, path)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            message = f"{path} is not a regular file; refusing to use it as the lock"
            raise OutputError(message, code="output-not-file", path=str(path))
        _acquire(fd, path, timeout, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        if not shared:
            ignore_lock_file(output_dir)  # under the lock: one writer at a time
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _open_for_writing(output_dir: Path, path: Path) -> int:
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(
            f"{output_dir} exists and is not a folder", code="output-not-dir", path=str(output_dir)
        ) from None
    except OSError as exc:
        raise os_error(exc, "cannot create", output_dir, code="output-unwritable") from None
    try:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        return os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            message = f"{path} is a symbolic link; refusing to use it as the lock"
            raise OutputError(message, code="output-symlink", path=str(path)) from None
        raise os_error(exc, "cannot write in", output_dir, code="output-unwritable") from None


def ignore_lock_file(output_dir: Path) -> None:
    """Make OUTPUT_DIR/.gitignore list the lock file: create it, or add the line to it."""
    from generator.output.write import write_atomic

    path = output_dir / GITIGNORE
    if path.is_symlink() or (path.exists() and not path.is_file()):
        return  # someone manages it by other means; never write through a link
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else None
    except (OSError, UnicodeDecodeError):
        return  # not ours to repair; the lock is only an untracked file then
    if text is None:
        write_atomic(path, GITIGNORE_TEXT.encode("utf-8"))
    elif IGNORE_LINE not in text.splitlines() and LOCK_NAME not in text.splitlines():
        ending = "" if not text or text.endswith("\n") else "\n"
        write_atomic(path, (text + ending + IGNORE_LINE + "\n").encode("utf-8"))


def _acquire(fd: int, path: Path, timeout: float, mode: int) -> None:
    deadline = time.monotonic() + max(timeout, 0.0)
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        except OSError as exc:
            raise os_error(exc, "cannot lock", path, code="output-unwritable") from None
        if time.monotonic() >= deadline:
            raise OutputError(
                f"another nfs-gitops render holds {path}; gave up after {timeout:g}s "
                "(wait for it to finish, or raise --lock-timeout)",
                code="output-locked",
                path=str(path),
            )
        time.sleep(_POLL)
