"""`validate`, `schema` and `kubernetes-versions`: what a values file may hold."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.cli.app import cli
from generator.cli.options import VALUES
from generator.report import format_option

if TYPE_CHECKING:
    from generator.values.document import Document


@cli.command()
@click.argument("values", nargs=-1, required=True, type=VALUES)
@format_option
def validate(values: tuple[Path, ...]) -> None:
    """Check values files against the schema and the semantic rules; report every problem."""
    from generator.values.fleet import load_valid

    docs = load_valid(values)
    click.echo(f"{len(docs)} values file(s) valid", err=True)
    for note in default_class_notes(docs):
        click.echo(note, err=True)


def default_class_notes(docs: Iterable[Document]) -> list[str]:
    """A second default class makes class-less claims land on whichever is newest: say so for
    every cluster whose tree annotates its class as the default."""
    from generator.model import build_model

    notes = []
    for doc in docs:
        model = build_model(doc.data, doc.file)
        if model.values["storageClass"]["default"]:
            notes.append(
                f"note: {model.names.cluster}: {model.export.names.storage_class} becomes the "
                "default StorageClass; remove the default annotation from any other class (k3s "
                'local-path, a cloud\'s default): README, "Another default class"'
            )
    return notes


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
