"""What is at a path, without following the surprises of pathlib.

`Path.is_dir()` and friends raise for a name component over 255 bytes or a folder without
search permission, and opening a FIFO blocks; every probe of user-named paths goes through here.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Literal

Kind = Literal["dir", "file", "symlink", "other", "missing"]
_MISSING = {errno.ENOENT, errno.ENOTDIR}


def kind_of(path: Path, *, follow: bool = True) -> Kind:
    """'dir', 'file' (regular), 'symlink' (only with follow=False), 'other' (FIFO, device,
    socket) or 'missing' (a dangling link too, when following); OSError for anything else."""
    try:
        mode = os.stat(path).st_mode if follow else os.lstat(path).st_mode
    except OSError as exc:
        if exc.errno in _MISSING:
            return "missing"
        raise
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "other"
