"""The render model: values with the schema's defaults applied and every derived name computed once.

Templates read names only from here, so the StorageClass, the chart values and the RBAC can never
disagree about the provisioner name, the ServiceAccount or a namespace. A cluster's storage is a
list of exports, each served by its driver (the single form `nfs` + `storageClass` is one
export; `exports` lists several, generator/values/exports.py reads both); cluster-wide names are
on the model, each export's names on the export. A release may serve several exports (a driver
with one release per cluster): `releases` lists each once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from generator.drivers import Driver, ExportNames, driver
from generator.engines import Engine, engine
from generator.model.preflight import job_name
from generator.schema import resolve, schema
from generator.values.checks.installer import INSTALLER_NAME
from generator.values.document import JsonPath
from generator.values.exports import specs, where
from generator.values.fleet import gitops_path

# Name of the Flux Kustomization entry point (one per cluster, in that cluster's Flux).
FLUX_KUSTOMIZATION_NAME = "nfs-storage"


def with_defaults(values: Any, node: dict[str, Any], defs: dict[str, Any]) -> Any:
    """Fill in every default the schema declares, recursively, without touching the input."""
    node = resolve(node, {"$defs": defs})
    if isinstance(values, dict) and "properties" in node:
        result = dict(values)
        for key, sub in node["properties"].items():
            if key not in result and "default" in sub:
                result[key] = copy.deepcopy(sub["default"])
            if key in result:
                result[key] = with_defaults(result[key], sub, defs)
        return result
    if isinstance(values, list) and isinstance(node.get("items"), dict):
        return [with_defaults(item, node["items"], defs) for item in values]
    return values


@dataclass(frozen=True)
class Names:
    """Every cluster-wide name more than one object refers to."""

    cluster: str
    namespace: str
    installer_namespace: str
    installer: str
    application: str
    flux_kustomization: str
    preflight_job: str


HELM_VALUES = "helm-values.yaml"


@dataclass(frozen=True)
class Export:
    """One NFS export of the cluster and the driver that serves it.

    spec: the export in one shape for both forms (generator/values/exports.py). view: the
    cluster's values as the single form would hold this export (its nfs, storageClass, driver
    and chart; the values themselves in the single form), for templates. values_file:
    the tree file of its release's chart values. preflight_job: the Job that probes it.
    """

    driver: Driver
    names: ExportNames
    spec: dict[str, Any]
    view: dict[str, Any]
    values_file: str = HELM_VALUES
    preflight_job: str = ""

    @property
    def nfs(self) -> dict[str, Any]:
        """server, path and mountOptions, as the single form's `nfs` holds them."""
        return {key: self.spec[key] for key in ("server", "path", "mountOptions")}

    @property
    def storage_class(self) -> dict[str, Any]:
        return dict(self.spec["storageClass"])

    def at(self, *logical: str | int) -> JsonPath:
        """The values path of a logical key (("nfs", "server"), ...) of this export."""
        return where(self.spec["index"], logical)


@dataclass(frozen=True)
class Model:
    values: dict[str, Any]
    names: Names
    exports: tuple[Export, ...]
    engine: Engine
    source: str

    @property
    def releases(self) -> tuple[Export, ...]:
        """The first export of each release (a release serves one export or, with a driver of
        one release per cluster, all of its exports), in the exports' order."""
        return _first_of_each(self.exports, lambda x: x.names.release)

    @property
    def repositories(self) -> tuple[Export, ...]:
        """The first release of each Helm repository (one per chart)."""
        return _first_of_each(self.releases, lambda x: x.names.helm_repository)

    def served_by(self, name: str) -> tuple[Export, ...]:
        """The exports the driver called name serves."""
        return tuple(export for export in self.exports if export.driver.name == name)

    def release_exports(self, release: str) -> tuple[Export, ...]:
        return tuple(export for export in self.exports if export.names.release == release)

    @property
    def shared_namespace(self) -> bool:
        """True when the user asked for one privileged namespace for both workloads."""
        return self.names.namespace == self.names.installer_namespace

    @property
    def fleet_glob(self) -> str:
        """Where the application.yaml of every tree beside this one is in Git."""
        parent = self.values["gitops"]["path"].rpartition("/")[0]
        return f"{parent}/*/application.yaml" if parent else "*/application.yaml"

    @property
    def leader_election(self) -> bool:
        """provisioner.leaderElection, or when null: on exactly when there is more than one
        replica. The chart's Deployment uses the Recreate strategy (pinned in helm-values.yaml),
        so a single replica never runs next to another and election would guard nothing."""
        chosen = self.values["provisioner"]["leaderElection"]
        return self.values["provisioner"]["replicas"] > 1 if chosen is None else bool(chosen)

    def image(self, *path: str) -> dict[str, Any]:
        """The image at values path `path`, moved to images.registry when one is set."""
        image: dict[str, Any] = self.values
        for part in path:
            image = image[part]
        registry = self.values["images"]["registry"]
        return {**image, "repository": moved(image["repository"], registry)}

    @property
    def pod_security(self) -> str:
        """`namespace`'s Pod Security level: the strictest a release running there needs.
        A driver whose pods need privileged (csi-driver-nfs) runs in a namespace of its own
        (driver_namespaces), so this is baseline unless the installer shares it (the template
        then labels it privileged)."""
        namespace = self.names.namespace
        here = [x.driver.pod_security for x in self.releases if x.names.namespace == namespace]
        return "privileged" if "privileged" in here else "baseline"

    @property
    def driver_namespaces(self) -> tuple[Export, ...]:
        """The first release of each namespace other than `namespace` that a release runs in
        (csi-driver-nfs's csi.namespace); the tree declares each at its driver's level."""
        elsewhere = [x for x in self.releases if x.names.namespace != self.names.namespace]
        return _first_of_each(elsewhere, lambda x: x.names.namespace)

    @property
    def pull_secrets(self) -> list[dict[str, str]]:
        """images.pullSecrets as a pod spec (and the chart) take them."""
        return [{"name": name} for name in self.values["images"]["pullSecrets"]]

    @property
    def installer_node_selector(self) -> dict[str, str]:
        """The user's node labels, always restricted to Linux nodes."""
        return {**self.values["nodeInstaller"]["nodeSelector"], "kubernetes.io/os": "linux"}


def _first_of_each(exports: Iterable[Export], key: Callable[[Export], str]) -> tuple[Export, ...]:
    """The first export of each key, in order."""
    seen: dict[str, Export] = {}
    for export in exports:
        seen.setdefault(key(export), export)
    return tuple(seen.values())


def moved(repository: str, registry: str | None) -> str:
    """repository pulled from `registry` instead: its registry host (the first part when it has
    a '.' or ':' or is localhost, else Docker Hub's implied one) is replaced."""
    if not registry:
        return repository
    first, slash, rest = repository.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        path = rest
    else:
        path = repository if slash else f"library/{repository}"
    return f"{registry.rstrip('/')}/{path}"


def _view(
    full: dict[str, Any], spec: dict[str, Any], served_by: Driver, names: ExportNames
) -> dict[str, Any]:
    """The values as the single form would hold this export: its nfs, class, driver and
    chart (the cluster's chart for the cluster's driver, else the driver's own defaults)."""
    chart = full["chart"]
    if served_by.name != full["driver"]:
        chart = {key: served_by.default(("chart", key), full) for key in chart}
    return {
        **full,
        "driver": served_by.name,
        "nfs": {key: spec[key] for key in ("server", "path", "mountOptions")},
        "storageClass": {
            **spec["storageClass"],
            "name": names.storage_class,
            "provisionerName": spec["provisionerName"],
        },
        "chart": {**chart, "releaseName": names.release},
    }


def build_model(values: dict[str, Any], source: str) -> Model:
    full_schema = schema()
    full: dict[str, Any] = with_defaults(values, full_schema, full_schema["$defs"])
    full["gitops"]["path"] = gitops_path(full)  # with_defaults copied every mapping: ours
    installer = full["nodeInstaller"]["enabled"]
    driver(full["driver"]).fill(full)  # the defaults that depend on the driver
    if installer is None:
        # Nodes need an NFS client when any export's driver needs one (mixed drivers).
        used = {spec["driver"] for spec in specs(full)}
        full["nodeInstaller"]["enabled"] = any(
            driver(name).default(("nodeInstaller", "enabled"), full) for name in sorted(used)
        )
    exports = _exports(full)
    names = Names(
        cluster=full["cluster"],
        namespace=full["namespace"],
        installer_namespace=full["nodeInstaller"]["namespace"],
        installer=INSTALLER_NAME,
        # One Argo CD may serve a whole fleet: its Applications carry the cluster name.
        application=f"{full['cluster']}-nfs-storage",
        flux_kustomization=FLUX_KUSTOMIZATION_NAME,
        preflight_job=exports[0].preflight_job,
    )
    return Model(full, names, exports, engine(full["gitops"]["engine"]), source)


def _exports(full: dict[str, Any]) -> tuple[Export, ...]:
    """Every export with its names and view; several releases each get their own values file."""
    found = []
    for spec in specs(full):
        served_by = driver(spec["driver"])
        names = served_by.names(spec, full)
        view = full if spec["index"] is None else _view(full, spec, served_by, names)
        found.append(Export(served_by, names, spec, view, preflight_job=job_name(view)))
    releases = list(dict.fromkeys(export.names.release for export in found))
    if len(releases) == 1:
        return tuple(found)
    return tuple(
        replace(export, values_file=f"helm-values-{export.names.release}.yaml") for export in found
    )
