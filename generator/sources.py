"""How a rendered tree names its values file: relative to one root, whatever the working folder.

The generated header of every file names the values file it came from. Naming it as typed made
the bytes depend on where render ran and how the path was spelt (`values/x.yaml`,
`./values/x.yaml`, an absolute path), so `render --check` saw drift. The root is the parent of
the output folder: the repository root in the standard layout (values/ beside output/). Prune
resolves header names against the same root, through values_root.
"""

from __future__ import annotations

import os
from pathlib import Path


def values_root(output_dir: Path) -> Path:
    """The folder header names are relative to: the parent of output_dir (its symbolic links
    resolved, output_dir's own name kept, so a linked output folder keeps its root)."""
    return Path(os.path.abspath(output_dir)).parent.resolve()


def header_name(values: Path, output_dir: Path) -> str:
    """The values file as the headers of trees in output_dir name it: relative to the root."""
    where = Path(os.path.abspath(values)).parent.resolve() / values.name
    return Path(os.path.relpath(where, values_root(output_dir))).as_posix()
