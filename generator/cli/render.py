"""`render`: values files in, trees written (or checked) under OUTPUT_DIR."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from generator.cli.app import cli
from generator.cli.options import VALUES, NonEmptyPath, finite
from generator.errors import DriftError
from generator.output.lock import DEFAULT_TIMEOUT
from generator.report import chosen_format, format_option

if TYPE_CHECKING:
    pass

T = TypeVar("T")


@cli.command()
@click.argument("values", nargs=-1, required=True, type=VALUES)
@click.option(
    "--output-dir",
    type=NonEmptyPath(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder that holds one tree per cluster.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with a diff if output is stale.")
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove the generated files of OUTPUT_DIR trees whose values file (named in their "
    "header) is gone or now renders another cluster.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Name every file changed and print the summary."
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    callback=finite,
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait while another render holds OUTPUT_DIR/.nfs-gitops.lock.",
)
@click.option(
    "--allow-recreate",
    is_flag=True,
    help="This render only: a StorageClass whose immutable fields change gets the engine's "
    "delete-and-re-create mechanism instead of being refused.",
)
@click.option(
    "--allow-export-change",
    is_flag=True,
    help="This render only: accept a changed nfs.server or nfs.path (see docs/errors.md, "
    "nfs-export-change, for the risk).",
)
@format_option
def render(
    values: tuple[Path, ...],
    output_dir: Path,
    check: bool,
    prune: bool,
    verbose: bool,
    lock_timeout: float,
    allow_recreate: bool,
    allow_export_change: bool,
) -> None:
    """Render values files into OUTPUT_DIR/<cluster>/ (only changed files are written).

    A folder in VALUES stands for its cluster files (not those starting with _); each file is
    merged over the _defaults.yaml beside it. OUTPUT_DIR is created when missing. Renders of
    one OUTPUT_DIR take turns (a lock file). On a terminal a progress bar and a summary go to
    stderr; otherwise only errors, removals and notes, unless --verbose.

    A change Kubernetes would refuse (an immutable StorageClass field) or one that puts volumes
    at risk (a moved NFS export) is refused, nothing written, unless opted in for this render.
    """
    from generator.model.checks import name_problems
    from generator.output.changes import unified_diff
    from generator.output.guard import Options
    from generator.output.run import render_trees
    from generator.report.render import summary_lines
    from generator.values.fleet import load_valid

    docs = load_valid(
        values, name_problems
    )  # refuse bad values before OUTPUT_DIR is created or locked
    result = render_trees(
        docs,
        output_dir,
        Options(allow_recreate, allow_export_change, check),
        prune=prune,
        lock_timeout=lock_timeout,
        progress=_progress,
        notify=lambda note: click.echo(note, err=True),
    )
    for tree in result.stale if check else ():  # stdout holds only the report under json
        click.echo(unified_diff(tree), nl=False, err=chosen_format() == "json")
    if result.drift:
        names = ", ".join(str(tree.tree) for tree in result.stale)
        hint = render_command(values, output_dir)
        raise DriftError(f"output is stale for {names}; run {hint}", files=result.drift)
    for line in summary_lines(result, output_dir, verbose=verbose, interactive=_interactive()):
        click.echo(line, err=True)


def render_command(values: Iterable[Path], output_dir: Path) -> str:
    """The command that renders these values, as a user types it (an installed tool may run
    where no Makefile is)."""
    words = ["nfs-gitops", "render", *map(str, values), "--output-dir", str(output_dir)]
    return " ".join(shlex.quote(word) for word in words)


def _interactive() -> bool:
    """Whether a person watches stderr (a terminal): then progress and a summary go there."""
    return sys.stderr.isatty()


def _progress(items: Sequence[T]) -> AbstractContextManager[Iterable[T]]:
    if _interactive():
        return click.progressbar(items, label="Rendering", file=sys.stderr)
    return nullcontext(items)
