"""A changed `driver`, as the day-2 guard sees it: the class's provisioner moves to another
driver's. Kubernetes refuses that update (the provisioner is immutable), and re-creating the
class would not help: the old driver's volumes need their class and their provisioner to be
deleted, and the new tree no longer installs that provisioner. The safe path is a new class name
(README, "Two drivers")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.drivers.csi_driver_nfs import PROVISIONER as CSI_PROVISIONER
from generator.errors import Problem
from generator.model import Export, Model
from generator.render import CLASS_FILE, retained_file
from generator.values.checks.drivers import CSI, SUBDIR
from generator.values.document import Document


def driver_of(provisioner: Any) -> str:
    """The driver that serves a class of this provisioner (csi-driver-nfs has one fixed name;
    every other provisioner name is nfs-subdir-external-provisioner's)."""
    return CSI if provisioner == CSI_PROVISIONER else SUBDIR


def switched(export: Export, before: dict[str, Any]) -> str | None:
    """The driver the export's class on disk belongs to, when the render moves it to another
    one."""
    old = driver_of(before.get("provisioner"))
    return old if old != export.driver.name else None


def driver_change_problem(doc: Document, export: Export, tree: Path, old: str) -> Problem:
    name = export.names.storage_class
    message = (
        f"StorageClass {name} ({tree / CLASS_FILE}) belongs to driver {old}; with driver "
        f"{export.driver.name} its provisioner would change to "
        f"{export.names.provisioner}, an update Kubernetes refuses (the provisioner is "
        "immutable), and re-creating it (--allow-recreate does not apply here) would leave "
        f"the volumes of {name} without their class. Safe way: give the new driver's class a new "
        f"name (storageClass.name): {name} stays rendered, not default, in "
        f"{retained_file(name)} until its volumes are gone (README, Two drivers)"
    )
    return doc.problem(export.at("driver"), message, "driver-change")


def orphaned_note(model: Model, tree: Path, old_name: str, before: dict[str, Any]) -> str | None:
    """A note for a class a rename keeps whose driver this tree no longer installs."""
    old = driver_of(before.get("provisioner"))
    if any(export.driver.name == old for export in model.exports):
        return None
    return (
        f"{tree / retained_file(old_name)}: StorageClass {old_name} is served by driver {old}, "
        f"which this tree no longer installs: deleting a claim of {old_name} now leaves its "
        "PersistentVolume Released (its data stays on the export) until that driver runs "
        "again. Delete those claims before the switch, or set their volumes to Retain "
        "(README, Two drivers)"
    )
