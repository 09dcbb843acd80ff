"""Day-2 guard: refuse a render that the cluster would refuse, before anything is written.

Kubernetes refuses updates to a StorageClass's provisioner, parameters, reclaimPolicy and
volumeBindingMode (422 "field is immutable"), so such a commit passes review and CI and then
every sync fails. The committed tree is the best offline picture of the cluster: each class
about to be written is compared with the class of the same name on disk. mountOptions is NOT
immutable (ValidateStorageClassUpdate of Kubernetes 1.36 and 1.37; tests/e2e proves the update
is accepted): a change there is written, with a note that existing volumes keep their options.

- An immutable change is refused, located in the values file, unless `render --allow-recreate`
  asks for the engine's delete-and-re-create mechanism, on that class only and in that render
  only (Flux's force deletes an object on any 422, so it must never stay or spread).
- A renamed class (storageClass.name) is not dropped: the provisioner deletes a volume only
  while its class exists, so the old class stays in storageclass-retained-<name>.yaml, not
  default, until the user deletes that file.
- A changed nfs.server or nfs.path is refused unless `--allow-export-change`: the provisioner
  deletes or archives a volume's directory on the export it is configured with now, so after a
  move deleting an old claim would act on the same-named directory of the NEW export.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import InvalidValues, Problem
from generator.model import Model
from generator.output.driverchange import driver_change_problem, orphaned_note, switched
from generator.output.header import stamped
from generator.output.ondisk import (
    API_DEFAULTS,
    HELM_VALUES_FILE,
    Disk,
    classes_in,
    read_disk,
    retained_view,
)
from generator.render import CLASS_FILE, retained_file
from generator.render import render as render_bodies
from generator.values.document import Document, JsonPath

IMMUTABLE = ("provisioner", "parameters", "reclaimPolicy", "volumeBindingMode")
# Where each class field other than a parameter comes from in the values (parameters: the
# driver's class_parameters).
FIELD_KEYS: dict[str, JsonPath] = {
    "reclaimPolicy": ("storageClass", "reclaimPolicy"),
    "volumeBindingMode": ("storageClass", "volumeBindingMode"),
}


@dataclass(frozen=True)
class Options:
    """The one-shot opt-ins of a render, and whether it is a --check."""

    allow_recreate: bool = False
    allow_export_change: bool = False
    check: bool = False


@dataclass
class Guarded:
    """The files to write and what the summary must say about them."""

    files: dict[str, str]
    notes: list[str] = field(default_factory=list)


def immutable_changes(
    old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...] = IMMUTABLE
) -> list[tuple[str, Any, Any]]:
    """(field, old, new) for each of fields that differs; parameters key by key."""
    changes: list[tuple[str, Any, Any]] = []
    for name in fields:
        before = old.get(name, API_DEFAULTS.get(name))
        after = new.get(name, API_DEFAULTS.get(name))
        before = API_DEFAULTS.get(name) if before is None else before
        after = API_DEFAULTS.get(name) if after is None else after
        if name == "parameters" and isinstance(before, dict) and isinstance(after, dict):
            for key in sorted(before.keys() | after.keys(), key=str):
                if before.get(key) != after.get(key):
                    changes.append((f"parameters.{key}", before.get(key), after.get(key)))
        elif before != after:
            changes.append((name, before, after))
    return changes


def tree_files(model: Model, **options: Any) -> dict[str, str]:
    """The tree's files as written: rendered, each with the generated header."""
    return stamped(render_bodies(model, **options), model.source)


def guarded_render(doc: Document, model: Model, tree: Path, options: Options) -> Guarded:
    """Render the tree of doc, refusing what the cluster would refuse (InvalidValues)."""
    disk = read_disk(tree)
    name = model.export.names.storage_class
    retained = {key: obj for key, obj in disk.retained.items() if key != name}
    files = tree_files(model, retained=_views(retained))
    problems = _export_problems(doc, model, disk, files, options)
    notes: list[str] = []
    if disk.class_text is not None and files[CLASS_FILE] != disk.class_text:
        # Only a class that differs is parsed: a re-render of an unchanged fleet parses nothing.
        files, notes, found = _check_classes(doc, model, tree, options, disk, retained, files)
        problems += found
    if problems:
        raise InvalidValues(problems)
    return Guarded(files, notes)


def _views(retained: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [view for view in (retained_view(retained[k]) for k in sorted(retained)) if view]


def _check_classes(
    doc: Document,
    model: Model,
    tree: Path,
    options: Options,
    disk: Disk,
    retained: dict[str, dict[str, Any]],
    files: dict[str, str],
) -> tuple[dict[str, str], list[str], list[Problem]]:
    name = model.export.names.storage_class
    notes: list[str] = []
    problems: list[Problem] = []
    current = disk.current()
    renamed = sorted(old for old in current if old != name)
    for old_name in renamed:
        retained[old_name] = current[old_name]
        notes.append(
            f"{tree}: StorageClass {old_name} renamed to {name}: {old_name} stays rendered, "
            f"not default, in {retained_file(old_name)} (its volumes need it to be deleted); "
            "delete that file and render again once no PersistentVolume uses it"
        )
        orphaned = orphaned_note(model, tree, old_name, current[old_name])
        notes += [orphaned] if orphaned else []
    kept = _views(retained)
    if renamed:
        files = tree_files(model, retained=kept)
    before = current.get(name) or disk.retained.get(name)
    if before is None:
        return files, notes, problems
    after = classes_in(files[CLASS_FILE])[name]
    for _, old, new in immutable_changes(before, after, ("mountOptions",)):
        notes.append(
            f"{tree / CLASS_FILE}: StorageClass {name}: mountOptions {_shown(old)} -> "
            f"{_shown(new)}; Kubernetes updates this field in place: volumes provisioned from "
            "now on get the new options, existing volumes keep theirs (each "
            "PersistentVolume holds its own copy)"
        )
    changes = immutable_changes(before, after)
    old_driver = switched(model, before)
    if old_driver is not None:
        problems.append(driver_change_problem(doc, model, tree, old_driver))
    elif changes and not options.allow_recreate:
        problems += [_class_problem(doc, model, tree, *change) for change in changes]
    elif changes:
        files = tree_files(model, retained=kept, recreate=model.engine.recreate)
        notes.append(_recreate_note(tree, name, model, changes))
    elif options.check and model.engine.recreate:
        # The commit of an --allow-recreate render is what CI checks: accept it as rendered.
        forced = tree_files(model, retained=kept, recreate=model.engine.recreate)
        if forced[CLASS_FILE] == disk.class_text:
            files = forced
            notes.append(
                f"{tree / CLASS_FILE}: StorageClass {name} carries the one-shot recreate "
                "mechanism of render --allow-recreate; the next render drops it"
            )
    return files, notes, problems


def _shown(value: Any) -> str:
    return "(unset)" if value is None else json.dumps(value)


def _values_path(model: Model, class_field: str) -> JsonPath:
    if class_field == "provisioner":
        pinned = model.values["storageClass"]["provisionerName"] is not None
        return ("storageClass", "provisionerName") if pinned else ("chart", "releaseName")
    if class_field.startswith("parameters."):
        return model.export.driver.class_parameters.get(
            class_field.partition(".")[2], ("storageClass",)
        )
    return FIELD_KEYS[class_field]


def _recreate_way(model: Model, name: str) -> str:
    how = model.engine.recreate_how
    if how:
        return f"re-render with `nfs-gitops render --allow-recreate` so {how}"
    return (
        "re-render with `nfs-gitops render --allow-recreate` and delete the class by hand "
        f"before applying (kubectl delete storageclass {name})"
    )


def _class_problem(
    doc: Document, model: Model, tree: Path, class_field: str, old: Any, new: Any
) -> Problem:
    name = model.export.names.storage_class
    message = (
        f"StorageClass {name} ({tree / CLASS_FILE}): {class_field} {_shown(old)} -> {_shown(new)} "
        "is an update Kubernetes refuses (422: the field is immutable), so every sync would "
        "fail. Safe ways out: give the class a new name (storageClass.name; existing volumes "
        f"keep {name}, which stays rendered until you delete its file), or "
        + _recreate_way(model, name)
        + "; existing volumes keep working either way"
    )
    return doc.problem(_values_path(model, class_field), message, "storageclass-immutable")


def _recreate_note(tree: Path, name: str, model: Model, changes: list[tuple[str, Any, Any]]) -> str:
    fields = ", ".join(change[0] for change in changes)
    if not model.engine.recreate:
        how = f"delete it by hand before applying: kubectl delete storageclass {name}"
    else:
        how = "the engine deletes and re-creates it; the next render drops the mechanism"
    return f"{tree / CLASS_FILE}: StorageClass {name} is re-created ({fields} changed): {how}"


def _export_problems(
    doc: Document, model: Model, disk: Disk, files: dict[str, str], options: Options
) -> list[Problem]:
    if options.allow_export_change or disk.values_text in (None, files[HELM_VALUES_FILE]):
        return []
    export = disk.export()
    if export is None:
        return []
    nfs = model.values["nfs"]
    old_server, old_path = export
    if (old_server, old_path) == (nfs["server"], nfs["path"]):
        return []
    key = "server" if old_server != nfs["server"] else "path"
    message = (
        f"the export moves from {old_server}:{old_path} to {nfs['server']}:{nfs['path']}. "
        "Existing volumes keep the old export (their PersistentVolumes name it), but the "
        "provisioner deletes or archives a volume's directory on the export it is configured "
        "with: deleting an old claim would remove or archive the same-named directory on the "
        "NEW export. First set persistentVolumeReclaimPolicy: Retain on the existing volumes of "
        f"class {model.export.names.storage_class} (kubectl patch pv NAME -p "
        '\'{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}\'), or copy their data to the '
        "new export under the same directory names; then render with --allow-export-change"
    )
    return [doc.problem(("nfs", key), message, "nfs-export-change")]
