"""The validate use-case, and what the model knows that a values file alone does not say."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from generator.model import build_model
from generator.model.checks import name_problems
from generator.result import Result
from generator.values.document import Document
from generator.values.fleet import load_valid


def default_class_notes(docs: Iterable[Document]) -> list[str]:
    """A second default class makes class-less claims land on whichever is newest: say so for
    every cluster whose tree annotates its class as the default."""
    notes = []
    for doc in docs:
        model = build_model(doc.data, doc.file)
        for export in model.exports:
            if not export.storage_class["default"]:
                continue
            notes.append(
                f"note: {model.names.cluster}: {export.names.storage_class} becomes the "
                "default StorageClass; remove the default annotation from any other class (k3s "
                'local-path, a cloud\'s default): README, "Another default class"'
            )
    return notes


def validated(paths: Sequence[Path]) -> Result:
    """Every values file valid (else InvalidValues with every problem), with the notes."""
    docs = load_valid(paths, name_problems)
    return Result(notes=default_class_notes(docs), counts={"valid": len(docs)})
