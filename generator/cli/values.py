"""`validate`, `schema` and `kubernetes-versions`: what a values file may hold."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.cli.app import cli
from generator.cli.options import VALUES
from generator.report import format_option

if TYPE_CHECKING:
    pass


@cli.command()
@click.argument("values", nargs=-1, required=True, type=VALUES)
@format_option
def validate(values: tuple[Path, ...]) -> None:
    """Check values files against the schema and the semantic rules; report every problem."""
    from generator.model.notes import validated

    result = validated(values)
    click.echo(f"{result.counts['valid']} values file(s) valid", err=True)
    for note in result.notes:
        click.echo(note, err=True)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of values files (draft 2020-12)."""
    from generator.schema import schema_text

    click.echo(schema_text(), nl=False)


@cli.command("kubernetes-versions")
def kubernetes_versions() -> None:
    """Print the supported Kubernetes versions (values key kubernetesVersion), oldest first."""
    from generator.schema import kubernetes_versions

    click.echo("\n".join(kubernetes_versions()))
