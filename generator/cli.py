"""Command line: parse options, call the pipeline, report. Exit codes are mapped in Cli.invoke."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from generator import __version__
from generator.errors import DriftError, InvalidValues, NfsGitopsError

VALUES = click.Path(exists=False, dir_okay=False, path_type=Path)


class Cli(click.Group):
    """The one place that turns nfs-gitops errors into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidValues as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(f"nfs-gitops: {len(exc.problems)} problem(s); nothing written", err=True)
            ctx.exit(exc.exit_code)
        except NfsGitopsError as exc:
            click.echo(f"nfs-gitops: {exc}", err=True)
            ctx.exit(exc.exit_code)


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
def render(values: tuple[Path, ...], output_dir: Path, check: bool) -> None:
    """Render values files into OUTPUT_DIR/<cluster>/ (only changed files are written)."""
    from generator.pipeline import plan
    from generator.write import apply_changes, unified_diff

    trees = plan(values, output_dir)
    if check:
        stale = [tree for tree in trees if not tree.clean]
        for tree in stale:
            click.echo(unified_diff(tree), nl=False)
        if stale:
            names = ", ".join(str(tree.tree) for tree in stale)
            raise DriftError(f"output is stale for {names}; run make render")
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
