"""What a tree on disk holds that the day-2 guard compares a render with: the StorageClass file,
the chart's values and the classes a rename kept, parsed only when they differ."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.output.header import is_generated_text
from generator.render import CLASS_FILE, RETAINED_PREFIX, retained_file
from generator.values.checks.names import is_dns1123_subdomain

# What the API server stores for a field left out, so leaving out a default is no change.
API_DEFAULTS: dict[str, Any] = {
    "parameters": {},
    "reclaimPolicy": "Delete",
    "volumeBindingMode": "Immediate",
    "mountOptions": [],
}
HELM_VALUES_FILE = "helm-values.yaml"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Disk:
    """What the tree on disk holds that the guard compares with (parsed only when it differs)."""

    class_text: str | None = None  # storageclass.yaml
    values: dict[str, str | None] = field(default_factory=dict)  # each release's helm-values
    retained: dict[str, dict[str, Any]] = field(default_factory=dict)  # storageclass-retained-*

    def current(self) -> dict[str, dict[str, Any]]:
        return classes_in(self.class_text)

    def export(self, values_file: str = HELM_VALUES_FILE) -> tuple[Any, Any] | None:
        """nfs.server and nfs.path of a release's chart values."""
        values = _documents(self.values.get(values_file))
        nfs = values[0].get("nfs") if values else None
        return (nfs.get("server"), nfs.get("path")) if isinstance(nfs, dict) else None

    def values_file_of(self, values_file: str, account: str) -> str | None:
        """The chart values file on disk of the release whose ServiceAccount is `account`: the
        same file, else the one that names that account (a release keeps its ServiceAccount
        when its file is renamed: one release becoming several, or several becoming one)."""
        if self.values.get(values_file) is not None:
            return values_file
        for name in sorted(self.values):
            found = _documents(self.values[name])
            account_of = found[0].get("serviceAccount") if found else None
            if isinstance(account_of, dict) and account_of.get("name") == account:
                return name
        return None


def _read(path: Path) -> str | None:
    if path.is_symlink() or not path.is_file():
        return None  # plan_changes refuses links and non-files where it writes
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None  # plan_changes reports an unreadable file with its own code


def _documents(text: str | None) -> list[dict[str, Any]]:
    if text is None:
        return []
    try:
        return [doc for doc in yaml.load_all(text, Loader=_LOADER) if isinstance(doc, dict)]
    except yaml.YAMLError:
        return []  # not YAML any more: nothing to compare with; the render replaces it


def classes_in(text: str | None) -> dict[str, dict[str, Any]]:
    """The StorageClass objects of a file's text by name ({} when it does not parse)."""
    found = {}
    for doc in _documents(text):
        metadata = doc.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if doc.get("kind") == "StorageClass" and isinstance(name, str):
            found[name] = doc
    return found


def read_disk(tree: Path, values_files: Sequence[str] = (HELM_VALUES_FILE,)) -> Disk:
    """The class file, the chart values files (those named and every helm-values*.yaml) and
    the retained classes of a tree."""
    names = [*values_files]
    if tree.is_dir() and not tree.is_symlink():
        names += sorted(p.name for p in tree.glob("helm-values*.yaml"))
    disk = Disk(_read(tree / CLASS_FILE), {name: _read(tree / name) for name in names})
    if tree.is_dir() and not tree.is_symlink():
        for entry in sorted(tree.glob(f"{RETAINED_PREFIX}*.yaml")):
            text = _read(entry)
            if text is None or not is_generated_text(text):
                continue
            for name, obj in classes_in(text).items():
                if entry.name == retained_file(name):
                    disk.retained[name] = obj
    return disk


def retained_view(obj: dict[str, Any]) -> dict[str, Any] | None:
    """A class as storageclass-retained.yaml.j2 renders it, its immutable fields as they are.

    None when the object is not a class we can carry over unchanged (hand-edited into a shape
    nfs-gitops never writes).
    """
    name = obj["metadata"]["name"]
    view = {
        "name": name,
        "provisioner": obj.get("provisioner"),
        "parameters": obj.get("parameters") or {},
        "reclaimPolicy": obj.get("reclaimPolicy") or API_DEFAULTS["reclaimPolicy"],
        "volumeBindingMode": obj.get("volumeBindingMode") or API_DEFAULTS["volumeBindingMode"],
        "allowVolumeExpansion": obj.get("allowVolumeExpansion") is True,
        "mountOptions": obj.get("mountOptions") or [],
    }
    strings = [view["provisioner"], view["reclaimPolicy"], view["volumeBindingMode"]]
    fits = (
        is_dns1123_subdomain(name)
        and all(isinstance(value, str) for value in strings)
        and isinstance(view["parameters"], dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in view["parameters"].items())
        and isinstance(view["mountOptions"], list)
        and all(isinstance(option, str) for option in view["mountOptions"])
    )
    return view if fits else None
