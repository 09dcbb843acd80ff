"""What adopt knows of the nfs-subdir-external-provisioner chart's values: which it maps to a
values key, which change nothing the takeover needs; and adopt's request and result records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.drivers.nfs_subdir import DRIVER
from generator.values.document import format_path

HelmPath = tuple[str, ...]


def empty(value: Any) -> bool:
    return value in (None, "", [], {}, False)


def _equals(*accepted: Any) -> Callable[[Any], bool]:
    return lambda value: value in accepted


# Chart values that need no key in our values file when they hold these values: chart defaults
# the tree renders the same way, or objects the tree renders itself (class, RBAC, account).
HARMLESS: dict[HelmPath, Callable[[Any], bool]] = {
    ("storageClass", "create"): lambda value: True,
    ("storageClass", "annotations"): empty,
    ("storageClass", "allowVolumeExpansion"): lambda value: True,  # mutable; reported as changed
    ("storageClass", "defaultClass"): lambda value: True,  # mutable; follows --default-class
    ("rbac", "create"): lambda value: True,
    ("serviceAccount", "create"): lambda value: True,
    ("serviceAccount", "name"): empty,
    ("serviceAccount", "annotations"): empty,
    ("podSecurityPolicy", "enabled"): empty,
    ("strategyType",): _equals("Recreate"),
    ("podDisruptionBudget", "enabled"): empty,
    ("podDisruptionBudget", "maxUnavailable"): lambda value: True,  # read only when enabled
    ("nameOverride",): empty,
    ("fullnameOverride",): empty,
    ("priorityClassName",): empty,
    ("buildMode",): empty,
    ("podAnnotations",): empty,
    ("podSecurityContext",): empty,
    ("securityContext",): empty,
    ("nodeSelector",): empty,
    ("affinity",): empty,
    ("tolerations",): empty,
    ("labels",): empty,
    ("resources",): empty,  # none set: the tree's small requests and limits apply
}
# Read by the chart only for the root PV/PVC it makes when nfs.mountOptions is set.
ROOT_VOLUME_DEFAULTS: dict[HelmPath, Any] = {
    ("nfs", "volumeName"): f"{DRIVER.chart}-root",
    ("nfs", "reclaimPolicy"): "Retain",
    ("storageClass", "accessModes"): "ReadWriteOnce",
}
# Chart value -> values key, copied as they are (the schema and checks judge them).
DIRECT: dict[HelmPath, tuple[str, ...]] = {
    ("nfs", "server"): ("nfs", "server"),
    ("nfs", "path"): ("nfs", "path"),
    ("nfs", "mountOptions"): ("nfs", "mountOptions"),
    ("storageClass", "reclaimPolicy"): ("storageClass", "reclaimPolicy"),
    ("storageClass", "volumeBindingMode"): ("storageClass", "volumeBindingMode"),
    ("storageClass", "onDelete"): ("storageClass", "onDelete"),
    ("storageClass", "pathPattern"): ("storageClass", "pathPattern"),
    ("replicaCount",): ("provisioner", "replicas"),
    ("image", "repository"): ("provisioner", "image", "repository"),
    ("image", "tag"): ("provisioner", "image", "tag"),
    ("image", "pullPolicy"): ("provisioner", "image", "pullPolicy"),
    ("leaderElection", "enabled"): ("provisioner", "leaderElection"),
    ("resources",): ("provisioner", "resources"),
}
HANDLED = {
    ("storageClass", "name"),
    ("storageClass", "archiveOnDelete"),
    ("storageClass", "provisionerName"),
}


@dataclass(frozen=True)
class Request:
    """What the operator read off the cluster, and where the values file goes."""

    helm_values: Path
    release: str
    namespace: str
    storage_class: str | None
    cluster: str
    target: Path
    target_namespace: str
    engine: str
    repo_url: str | None
    default_class: bool


@dataclass
class Adoption:
    """The values to write, where each came from in the helm file, and what was left behind."""

    values: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, HelmPath] = field(default_factory=dict)  # values field -> helm key
    not_mapped: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    manual_names: dict[str, str] = field(default_factory=dict)  # kind -> name the chart used

    def put(self, path: tuple[str, ...], value: Any, source: HelmPath | None) -> None:
        node = self.values
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        if source is not None:
            self.origin[format_path(path)] = source


# Top-level keys of the csi-driver-nfs chart's values that the subdir chart does not have: a
# release of csi-driver-nfs is not something adopt can take over (README, Two drivers).
CSI_CHART_KEYS: tuple[HelmPath, ...] = (
    ("driver",),
    ("kubeletDir",),
    ("storageClasses",),
    ("controller",),
    ("node",),
    ("externalSnapshotter",),
    ("volumeSnapshotClass",),
)
CSI_REFUSAL = (
    "a value of the csi-driver-nfs chart: adopt takes over manual installs of "
    "nfs-subdir-external-provisioner only. For csi-driver-nfs write the values file by hand "
    "(driver: csi-driver-nfs) with the release's class name and parameters (README, Two drivers)"
)


def csi_chart_key(helm: dict[str, Any]) -> HelmPath | None:
    """The first key that marks these helm values as csi-driver-nfs's, else None."""
    return next((path for path in CSI_CHART_KEYS if path[0] in helm), None)
