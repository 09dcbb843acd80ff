"""The one root that values-file names in generated headers are relative to.

The root is the parent of the output folder: the repository root in the standard layout
(values/ and output/ side by side). Headers name values files relative to it, and a prune
resolves those names against it, so neither depends on the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path


def repository_root(output_dir: Path) -> Path:
    """The parent of output_dir, absolute, symbolic links not followed (the user chose them)."""
    return Path(os.path.abspath(output_dir)).parent


def values_file_named(name: str, root: Path) -> Path:
    """The values file a generated header names: absolute names as they are, others under root."""
    path = Path(name)
    return path if path.is_absolute() else root / path


def header_name(values: Path, output_dir: Path) -> str:
    """How the generated headers of trees in output_dir name a values file: relative to the
    root, so the bytes do not depend on the working folder or on how the path was typed."""
    return Path(os.path.relpath(os.path.abspath(values), repository_root(output_dir))).as_posix()
