"""Provisioners ("drivers"): a Driver object per provisioner, one module each in this package.

A driver serves one NFS export of a cluster: it names the chart that installs it, the files it
adds to the tree (RBAC, its StorageClass, the chart's values), the values keys that configure it
and every name its objects share. The schema's `driver` enum is the list; a new driver is a
module here (found by its DRIVER), its templates (templates/drivers/<name>/) and the enum entry.
"""

from __future__ import annotations

import copy
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any

from generator.treefile import TreeFile

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class ExportNames:
    """Every name more than one object of one export refers to."""

    release: str
    provisioner: str
    service_account: str
    cluster_role: str
    cluster_role_binding: str
    leader_role: str
    helm_repository: str
    values_configmap: str
    storage_class: str
    # Where the release's workloads run (its chart's Release.Namespace).
    namespace: str


@dataclass(frozen=True)
class Driver:
    """What a provisioner adds to a tree; subclasses compute the names of one export.

    chart: the chart's name in its repository (chart.repository and chart.version default in
    the schema). resources: kustomization resources; support: files that are not objects (the
    chart's values). keys: the values keys that configure this driver. class_parameters: each
    StorageClass parameter it renders -> the values key it comes from (located problems).
    defaults: values this driver supplies where the schema's default is null (a key whose
    default differs by driver is null in the schema and filled here, by the model); a callable
    computes its value from the values (for example from `distribution`).
    release_per_export: whether each export has its own release (see below).
    pod_security: the Pod Security level its pods need in the release namespace.
    namespaced_chart: True when the chart sets metadata.namespace on its namespaced objects
    itself (plain kustomize then needs no patch to place them).
    """

    name: str
    chart: str
    resources: tuple[TreeFile, ...]
    support: tuple[TreeFile, ...]
    keys: tuple[JsonPath, ...]
    class_parameters: Mapping[str, JsonPath]
    defaults: Mapping[JsonPath, Any] = field(default_factory=dict)
    # True: each export gets its own release and provisioner (their names must differ across
    # the cluster); False: one release serves every export of the driver.
    release_per_export: bool = True
    pod_security: str = "baseline"
    namespaced_chart: bool = False

    def fill(self, values: dict[str, Any]) -> None:
        """Set each of the driver's defaults whose key is null in values (the model's own copy
        with the schema's defaults applied)."""
        for path in self.defaults:
            node: Any = values
            for key in path[:-1]:
                node = node[key]
            if node.get(path[-1]) is None:
                node[path[-1]] = self.default(path, values)

    def default(self, path: JsonPath, values: dict[str, Any]) -> Any:
        """This driver's default for path (None when it has none), computed from values."""
        value = self.defaults.get(path)
        return value(values) if callable(value) else copy.deepcopy(value)

    def template(self, name: str) -> str:
        return f"drivers/{self.name}/{name}"

    @staticmethod
    def storage_class(spec: dict[str, Any]) -> str:
        """The export's class: its storageClass.name, else nfs-<export name>."""
        name: str = spec["storageClass"]["name"] or f"nfs-{spec['name']}"
        return name

    def names(self, spec: dict[str, Any], values: dict[str, Any]) -> ExportNames:
        """The names of one export (spec: generator/values/exports.py) of a cluster (values)."""
        raise NotImplementedError(f"driver {self.name} does not name its objects")


@cache
def registry() -> dict[str, Driver]:
    """Every driver module's DRIVER by name."""
    found: dict[str, Driver] = {}
    for module in pkgutil.iter_modules(__path__):
        driver = getattr(import_module(f"{__name__}.{module.name}"), "DRIVER", None)
        if isinstance(driver, Driver):
            found[driver.name] = driver
    return found


def driver(name: str) -> Driver:
    """The Driver of a `driver` value (one the schema accepted)."""
    return registry()[name]
