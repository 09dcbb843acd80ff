"""The checks only the model can make: every derived name of every export, computed once (by the
export's driver), unique across the cluster and within Kubernetes' and Helm's length limits.

A name derived from an export's name is located at that name; a pinned one at its pin (the
values checks have checked each pin's own form already).
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Problem
from generator.model import Export, build_model
from generator.values.document import Document, JsonPath

# name kind -> (its limit, whose limit it is)
LIMITS: dict[str, tuple[int, str]] = {
    "storage_class": (253, "Kubernetes' limit for an object name"),
    "release": (53, "Helm's limit for a release name"),
}
WHAT = {"storage_class": "StorageClass", "release": "Helm release", "provisioner": "provisioner"}
# Where each name's pin is, as a logical export key (generator/values/exports.py).
PINS: dict[str, JsonPath] = {
    "storage_class": ("storageClass", "name"),
    "release": ("chart", "releaseName"),
    "provisioner": ("storageClass", "provisionerName"),
}


def _pin(export: Export, kind: str) -> str | None:
    pins: dict[str, str | None] = {
        "storage_class": export.spec["storageClass"]["name"],
        "release": export.spec["release"],
        "provisioner": export.spec["provisionerName"],
    }
    return pins[kind]


def _located(export: Export, kind: str) -> JsonPath:
    """The pin that set the name; a provisioner derived from a pinned release: that pin."""
    if _pin(export, kind) is not None:
        return export.at(*PINS[kind])
    if kind == "provisioner" and export.spec["release"] is not None:
        return export.at(*PINS["release"])
    return export.at("name")


def _name(export: Export, kind: str) -> str:
    name: str = getattr(export.names, kind)
    return name


def name_problems(doc: Document) -> list[Problem]:
    """Every derived name too long or taken by another export, located (see the module)."""
    model = build_model(doc.data, doc.file)
    if model.exports[0].spec["index"] is None:
        return []  # the single form: its names are its values, checked by the values checks
    found = [*_lengths(doc, model.exports), *_collisions(doc, model.exports)]
    return found + list(_one_release(doc, model.exports))


def _lengths(doc: Document, exports: tuple[Export, ...]) -> Iterator[Problem]:
    for export in exports:
        for kind, (limit, why) in LIMITS.items():
            name = _name(export, kind)
            if len(name) > limit and _pin(export, kind) is None:
                pin = ".".join(str(part) for part in export.at(*PINS[kind])[2:])
                yield doc.problem(
                    _located(export, kind),
                    f"makes the {WHAT[kind]} name {name!r} ({len(name)} characters), over "
                    f"{why} ({limit}); choose a shorter export name or pin {pin}",
                    "name-length",
                )


def _one_release(doc: Document, exports: tuple[Export, ...]) -> Iterator[Problem]:
    """A driver with one release per cluster (fixed cluster-scoped names): all its exports name
    the same release."""
    first: dict[str, Export] = {}
    for export in exports:
        if export.driver.release_per_export:
            continue
        other = first.setdefault(export.driver.name, export)
        if other.names.release != export.names.release:
            yield doc.problem(
                _located(export, "release"),
                f"gives export {export.spec['name']!r} the {export.driver.name} release "
                f"{export.names.release!r}, but export {other.spec['name']!r} has "
                f"{other.names.release!r}: one release serves every {export.driver.name} export "
                "(its cluster-scoped names are fixed); pin the same release or none",
                "name-collision",
            )


def _collisions(doc: Document, exports: tuple[Export, ...]) -> Iterator[Problem]:
    for kind in ("storage_class", "release", "provisioner"):
        seen: dict[str, Export] = {}
        for export in exports:
            name = _name(export, kind)
            other = seen.get(name)
            shared = (
                kind != "storage_class"
                and other is not None
                and not (export.driver.release_per_export or other.driver.release_per_export)
            )
            if other is not None and not shared:
                yield doc.problem(
                    _located(export, kind),
                    f"gives export {export.spec['name']!r} the {WHAT[kind]} name {name!r}, "
                    f"which export {other.spec['name']!r} has already; every export needs its "
                    "own (pin another name, or rename the export)",
                    "name-collision",
                )
            seen.setdefault(name, export)
