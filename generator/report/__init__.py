"""Print errors for people (text), for GitHub Actions (github) and for programs (json).

Every error becomes a list of entries with a stable code from docs/errors.md. Text goes to
stderr in the `FILE:LINE:COL: field: message [code]` shape; GitHub annotations and the JSON
array go to stdout, where the runner and `jq` read them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from generator.errors import (
    BUG_EXIT,
    DriftError,
    Entry,
    InvalidValues,
    LintError,
    NfsGitopsError,
    printable,
)

FORMATS = ("text", "github", "json")
_META_KEY = "nfs_gitops.format"


def entries(error: NfsGitopsError) -> list[Entry]:
    if isinstance(error, InvalidValues):
        return [problem.entry() for problem in error.problems]
    if isinstance(error, LintError) and error.findings:
        return list(error.findings)
    if isinstance(error, DriftError) and error.files:
        return [
            Entry(file=file, message=why, code=error.code)
            for file, why in sorted(error.files.items())
        ]
    return [Entry(file=error.path, message=str(error), code=error.code)]


def escape_data(text: str) -> str:
    """GitHub workflow command message escaping."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """GitHub workflow command property escaping (file=, title=)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(entry: Entry) -> str:
    props = []
    if entry.file is not None:
        props.append(f"file={escape_property(entry.file)}")
    if entry.line is not None:
        props.append(f"line={entry.line}")
    if entry.column is not None:
        props.append(f"col={entry.column}")
    props.append(f"title={escape_property(entry.code)}")
    message = f"{entry.field}: {entry.message}" if entry.field is not None else entry.message
    return f"::error {','.join(props)}::{escape_data(message)}"


def as_json(items: list[Entry]) -> str:
    return json.dumps([asdict(item) for item in items], indent=2, ensure_ascii=False)


BUG_HINT = (
    "this is a bug in nfs-gitops, not in your input: please report it with the command, "
    "this line and `nfs-gitops --version`"
)


def text(error: NfsGitopsError) -> list[str]:
    if isinstance(error, InvalidValues):
        count = len(error.problems)
        return [*map(str, error.problems), f"nfs-gitops: {count} problem(s); nothing written"]
    hint = f"; {BUG_HINT}" if error.exit_code == BUG_EXIT else ""
    return [printable(f"nfs-gitops: {error} [{error.code}]{hint}")]


FORMAT_HELP = (
    "How to print problems: text (stderr), github (Actions annotations, stdout) or json (an "
    "array on stdout)."
)


def format_option(func: Any, help_text: str = FORMAT_HELP) -> Any:
    """--format for commands that report problems; the choice is read by report_error."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str) -> str:
        ctx.meta[_META_KEY] = value
        return value

    return click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        envvar="NFS_GITOPS_FORMAT",
        expose_value=False,
        is_eager=True,
        callback=remember,
        help=help_text,
    )(func)


def chosen_format(ctx: click.Context | None = None) -> str:
    ctx = ctx or click.get_current_context(silent=True)
    return str(ctx.meta.get(_META_KEY, "text")) if ctx is not None else "text"


def report_error(error: NfsGitopsError, ctx: click.Context) -> None:
    fmt = chosen_format(ctx)
    if fmt == "github":
        for entry in entries(error):
            click.echo(github(entry))
    elif fmt == "json":
        click.echo(as_json(entries(error)))
    if fmt == "text" or isinstance(error, InvalidValues):
        # The summary line always goes to stderr, so logs say what happened in any format.
        lines = text(error) if fmt == "text" else text(error)[-1:]
        for line in lines:
            click.echo(line, err=True)


def report_ok(ctx: click.Context) -> None:
    if chosen_format(ctx) == "json":
        click.echo("[]")
