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
from generator.model import Export, Model
from generator.output.driverchange import driver_change_problem, orphaned_note, switched
from generator.output.header import stamped
from generator.output.ondisk import (
    API_DEFAULTS,
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
    disk = read_disk(tree, [release.values_file for release in model.releases])
    names = {export.names.storage_class for export in model.exports}
    retained = {key: obj for key, obj in disk.retained.items() if key not in names}
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
    exports = {export.names.storage_class: export for export in model.exports}
    notes: list[str] = []
    problems: list[Problem] = []
    current = disk.current()
    renamed = sorted(old for old in current if old not in exports)
    first = model.exports[0]
    gone = "no longer the class of an export"
    if first.spec["name"] is None:  # the single form: its one class was renamed
        gone = f"renamed to {first.names.storage_class}"
    for old_name in renamed:
        retained[old_name] = current[old_name]
        notes.append(
            f"{tree}: StorageClass {old_name} {gone}: {old_name} stays rendered, "
            f"not default, in {retained_file(old_name)} (its volumes need it to be deleted); "
            "delete that file and render again once no PersistentVolume uses it"
        )
        orphaned = orphaned_note(model, tree, old_name, current[old_name])
        notes += [orphaned] if orphaned else []
    kept = _views(retained)
    if renamed:
        files = tree_files(model, retained=kept)
    rendered = classes_in(files[CLASS_FILE])
    forced: dict[str, Any] = {}
    for name, export in exports.items():
        before = current.get(name) or disk.retained.get(name)
        if before is None:
            continue
        after = rendered[name]
        for _, old, new in immutable_changes(before, after, ("mountOptions",)):
            notes.append(
                f"{tree / CLASS_FILE}: StorageClass {name}: mountOptions {_shown(old)} -> "
                f"{_shown(new)}; Kubernetes updates this field in place: volumes provisioned "
                "from now on get the new options, existing volumes keep theirs (each "
                "PersistentVolume holds its own copy)"
            )
        changes = immutable_changes(before, after)
        old_driver = switched(export, before)
        if old_driver is not None:
            problems.append(driver_change_problem(doc, export, tree, old_driver))
        elif changes and not options.allow_recreate:
            problems += [_class_problem(doc, model, export, tree, *change) for change in changes]
        elif changes:
            forced[name] = model.engine.recreate
            notes.append(_recreate_note(tree, name, model, changes))
    if forced:
        files = tree_files(model, retained=kept, recreate=forced)
    elif options.check and model.engine.recreate:
        # The commit of an --allow-recreate render is what CI checks: accept it as rendered.
        files, notes = _as_forced(model, tree, disk, files, kept, notes)
    return files, notes, problems


def _as_forced(
    model: Model,
    tree: Path,
    disk: Disk,
    files: dict[str, str],
    kept: list[dict[str, Any]],
    notes: list[str],
) -> tuple[dict[str, str], list[str]]:
    """files with the one-shot recreate mechanism on the classes that carry it on disk, when
    that is exactly what is on disk."""
    on_disk = disk.current()
    carried = {
        name: model.engine.recreate
        for name, obj in on_disk.items()
        if set(model.engine.recreate) <= set((obj.get("metadata") or {}).get("annotations") or {})
    }
    if not carried:
        return files, notes
    forced = tree_files(model, retained=kept, recreate=carried)
    if forced[CLASS_FILE] != disk.class_text:
        return files, notes
    return forced, [
        *notes,
        *(
            f"{tree / CLASS_FILE}: StorageClass {name} carries the one-shot recreate "
            "mechanism of render --allow-recreate; the next render drops it"
            for name in sorted(carried)
        ),
    ]


def _shown(value: Any) -> str:
    return "(unset)" if value is None else json.dumps(value)


def _values_path(export: Export, class_field: str) -> JsonPath:
    if class_field == "provisioner":
        return _provisioner_path(export, export.spec["provisionerName"] is not None)
    if class_field.startswith("parameters."):
        key = export.driver.class_parameters.get(class_field.partition(".")[2], ("storageClass",))
        return export.at(*key)
    return export.at(*FIELD_KEYS[class_field])


def _provisioner_path(export: Export, pinned: bool) -> JsonPath:
    """Where the provisioner name comes from: its pin, else the release (its pin or, in the
    several form, the export's name)."""
    if pinned:
        return export.at("storageClass", "provisionerName")
    if export.spec["index"] is None:
        return ("chart", "releaseName")
    return export.at("chart", "releaseName") if export.spec["release"] else export.at("name")


def _recreate_way(model: Model, name: str) -> str:
    how = model.engine.recreate_how
    if how:
        return f"re-render with `nfs-gitops render --allow-recreate` so {how}"
    return (
        "re-render with `nfs-gitops render --allow-recreate` and delete the class by hand "
        f"before applying (kubectl delete storageclass {name})"
    )


def _class_problem(
    doc: Document, model: Model, export: Export, tree: Path, class_field: str, old: Any, new: Any
) -> Problem:
    name = export.names.storage_class
    message = (
        f"StorageClass {name} ({tree / CLASS_FILE}): {class_field} {_shown(old)} -> {_shown(new)} "
        "is an update Kubernetes refuses (422: the field is immutable), so every sync would "
        "fail. Safe ways out: give the class a new name (storageClass.name; existing volumes "
        f"keep {name}, which stays rendered until you delete its file), or "
        + _recreate_way(model, name)
        + "; existing volumes keep working either way"
    )
    return doc.problem(_values_path(export, class_field), message, "storageclass-immutable")


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
    if options.allow_export_change:
        return []
    problems = []
    for export in model.exports:
        on_disk = disk.values_file_of(export.values_file, export.names.service_account)
        if on_disk is None or disk.values[on_disk] == files.get(export.values_file):
            continue
        old = disk.export(on_disk)
        if old is not None:
            problems += _moved(doc, export, *old)
    return problems


def _moved(doc: Document, export: Export, old_server: Any, old_path: Any) -> list[Problem]:
    nfs = export.nfs
    if (old_server, old_path) == (nfs["server"], nfs["path"]):
        return []
    key = "server" if old_server != nfs["server"] else "path"
    message = (
        f"the export moves from {old_server}:{old_path} to {nfs['server']}:{nfs['path']}. "
        "Existing volumes keep the old export (their PersistentVolumes name it), but the "
        "provisioner deletes or archives a volume's directory on the export it is configured "
        "with: deleting an old claim would remove or archive the same-named directory on the "
        "NEW export. First set persistentVolumeReclaimPolicy: Retain on the existing volumes of "
        f"class {export.names.storage_class} (kubectl patch pv NAME -p "
        '\'{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}\'), or copy their data to the '
        "new export under the same directory names; then render with --allow-export-change"
    )
    return [doc.problem(export.at("nfs", key), message, "nfs-export-change")]
