"""Command line: parse options, call the pipeline, report. Exit codes are mapped in Cli.invoke."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from generator import __version__
from generator.errors import DriftError, NfsGitopsError
from generator.lock import DEFAULT_TIMEOUT
from generator.report import chosen_format, format_option, report_error, report_ok

VALUES = click.Path(exists=False, dir_okay=True, path_type=Path)  # a folder: its cluster files


class Cli(click.Group):
    """The one place that turns nfs-gitops errors into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
        except NfsGitopsError as exc:
            report_error(exc, ctx)  # in the --format chosen; codes are listed in docs/errors.md
            ctx.exit(exc.exit_code)
        report_ok(ctx)
        return result


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nfs-gitops")
def cli() -> None:
    """Render NFS dynamic storage for Kubernetes into Git-ready kustomize trees.

    One values file per cluster (values/<cluster>.yaml) becomes output/<cluster>/: namespaces,
    provisioner RBAC, an NFS client installer DaemonSet, the default StorageClass, and the
    nfs-subdir-external-provisioner chart delivered by Flux.

    Exit codes: 0 ok, 1 invalid values or drift, 2 usage error.
    """


@cli.command()
@click.argument("values", nargs=-1, required=True, type=VALUES)
@format_option
def validate(values: tuple[Path, ...]) -> None:
    """Check values files against the schema and the semantic rules; report every problem."""
    from generator.pipeline import load_valid

    docs = load_valid(values)
    click.echo(f"{len(docs)} values file(s) valid", err=True)


@cli.command()
@click.argument("values", nargs=-1, required=True, type=VALUES)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder that holds one tree per cluster.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with a diff if output is stale.")
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait while another render holds OUTPUT_DIR/.nfs-gitops.lock.",
)
@format_option
def render(values: tuple[Path, ...], output_dir: Path, check: bool, lock_timeout: float) -> None:
    """Render values files into OUTPUT_DIR/<cluster>/ (only changed files are written).

    OUTPUT_DIR is created when missing. Renders of one OUTPUT_DIR take turns (a lock file).
    """
    from generator.lock import output_lock
    from generator.pipeline import load_valid, plan
    from generator.write import apply_changes, stale_files, unified_diff

    if not check:
        load_valid(values)  # refuse bad values before OUTPUT_DIR is created or locked
    with output_lock(output_dir, timeout=lock_timeout, shared=check):
        trees = plan(values, output_dir)
        if check:
            stale = [tree for tree in trees if not tree.clean]
            for tree in stale:  # stdout holds only the JSON array with --format json
                click.echo(unified_diff(tree), nl=False, err=chosen_format() == "json")
            if stale:
                names = ", ".join(str(tree.tree) for tree in stale)
                files = {path: why for tree in stale for path, why in stale_files(tree).items()}
                raise DriftError(f"output is stale for {names}; run make render", files=files)
            return
        for tree in trees:
            apply_changes(tree)
    if sys.stderr.isatty():
        for tree in trees:
            click.echo(
                f"{tree.tree}: {len(tree.write)} written, {len(tree.unchanged)} unchanged, "
                f"{len(tree.remove)} removed",
                err=True,
            )


@cli.command()
def schema() -> None:
    """Print the JSON Schema of values files (draft 2020-12)."""
    from generator.validate import schema_text

    click.echo(schema_text(), nl=False)


def main() -> None:
    cli(prog_name="nfs-gitops")
