"""`kubeconform` (formerly `lint`): check rendered trees offline."""

from __future__ import annotations

import copy
from pathlib import Path

import click

from generator.cli.app import cli
from generator.cli.options import supported_versions
from generator.report import chosen_format, format_option


@cli.command()
@click.argument("trees", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--kubernetes-version",
    "versions",
    multiple=True,
    metavar="1.N",
    callback=supported_versions,
    help="Check this version only (repeatable). Default: every supported version.",
)
@click.option(
    "--schema-location",
    "locations",
    multiple=True,
    metavar="TEMPLATE",
    help="kubeconform -schema-location (repeatable; a folder, URL template or 'default'). "
    "Default: the offline schemas `make schemas` writes to .cache/schemas of the clone "
    "(searched from the working folder upwards), built-in kinds and Flux/Argo CD resources.",
)
@format_option
def kubeconform(
    trees: tuple[Path, ...], versions: tuple[str, ...], locations: tuple[str, ...]
) -> None:
    """Check rendered trees with kubeconform -strict: their resource files and their
    kustomize build output, for each Kubernetes version. Needs kubeconform and kustomize in
    ./bin (make tools) or on PATH. Problems: FILE: Kind/name: message. (Formerly `lint`,
    still accepted.)"""
    from generator.errors import LintError
    from generator.lint import lint_trees

    report = lint_trees(trees, versions, locations)
    text = chosen_format() == "text"
    for summary in report.summaries:  # stdout holds only the report in github and json
        click.echo(str(summary), err=not text)
    for finding in report.problems if text else ():
        click.echo(str(finding), err=True)
    if report.problems:
        names = ", ".join(str(tree) for tree in trees)
        raise LintError(f"{len(report.problems)} problem(s) in {names}", findings=report.problems)


# The old name of `kubeconform`, kept for scripts and hooks written against it.
cli.add_command(copy.copy(kubeconform), "lint")
cli.commands["lint"].hidden = True
