"""Option types and option groups shared by several commands."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from generator.schema import engines

F = TypeVar("F", bound=Callable[..., Any])


class NonEmptyPath(click.Path):
    """A path option or argument that refuses '': Path('') is '.', so an empty variable in a
    script (--output-dir "$OUT") would silently mean the current folder."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value:
            self.fail("must not be empty (it would mean the current folder)", param, ctx)
        return super().convert(value, param, ctx)


# Not readable=True: an unreadable file or folder is a located problem (exit 1), not click's.
VALUES = NonEmptyPath(
    exists=False, dir_okay=True, readable=False, path_type=Path
)  # a folder: its cluster files


def finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):  # nan never compares past a deadline: the wait would not end
        raise click.BadParameter(f"{value} is not a finite number of seconds")
    return value


def engine_options(command: F) -> F:
    """--engine and --repo-url, the same for every command that writes a values file."""
    command = click.option(
        "--repo-url", help="Git repository that holds output/ (needed by --engine argocd)."
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(engines()),
        default="flux",
        show_default=True,
        help="GitOps engine that delivers the tree.",
    )(command)


def supported_versions(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    from generator.schema import unsupported

    why = unsupported(value)
    if why:
        raise click.BadParameter(why)
    return value
