"""Compiled templates kept on disk, the way Python keeps compiled modules.

Compiling the templates is, after the imports, most of what a one-cluster render does. Jinja2
can keep the compiled code between runs (a bytecode cache); every entry is checked against the
template's source, so an edited template is compiled again. The cache sits where Python keeps
this package's own bytecode (generator/__pycache__, or under PYTHONPYCACHEPREFIX). Like Python's,
it is not used under PYTHONDONTWRITEBYTECODE or `python -B`, nor when that folder cannot be
written, and an unreadable entry only means compiling again.

Imported only by render.environment(), after jinja2.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket


class _Cache(jinja2.FileSystemBytecodeCache):
    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged entry: compile the template again and replace it
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            super().dump_bytecode(bucket)


def folder() -> Path:
    """Where Python writes the bytecode of this package."""
    package = Path(__file__).resolve().parent
    if sys.pycache_prefix:
        return Path(sys.pycache_prefix) / package.relative_to(package.anchor)
    return package / "__pycache__"


def key(env: jinja2.Environment) -> str:
    """What the compiled code depends on besides the template's source."""
    finalize = getattr(env.finalize, "__qualname__", repr(env.finalize))
    parts = [
        jinja2.__version__,
        sys.version,  # the bytecode format can change with any Python release
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        getattr(env.autoescape, "__qualname__", env.autoescape),
        env.optimized,
        env.is_async,
        finalize if env.finalize is not None else None,
        env.undefined.__qualname__,
        sorted(env.extensions),
        sorted(env.filters),
        sorted(env.tests),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def bytecode_cache(env: jinja2.Environment) -> jinja2.BytecodeCache | None:
    """A bytecode cache for env, or None when Python would not write bytecode either."""
    if sys.dont_write_bytecode:
        return None
    where = folder()
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(where, os.W_OK):
        return None
    return _Cache(str(where), f"nfs-gitops-template-{key(env)}-%s.cache")
