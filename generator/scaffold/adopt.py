"""`nfs-gitops adopt`: a values file whose tree keeps the names a manual `helm install` used.

Input: what `helm get values RELEASE -n NS -o yaml` (optionally `--all`) prints, plus the release,
its namespace and the StorageClass name. Every chart value is either mapped to a values key,
known to change nothing the takeover needs (a chart default, or an object the tree renders
itself), or listed as not mapped. The StorageClass fields Kubernetes never lets change
(provisioner, parameters, reclaimPolicy, volumeBindingMode) come out exactly as the chart
rendered them, or the value is refused with its place in the helm file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.drivers.nfs_subdir import DRIVER
from generator.errors import InvalidValues, Problem
from generator.model import build_model
from generator.model.checks import name_problems
from generator.render.yamlsafe import block
from generator.scaffold.adopt_chart import (
    CSI_REFUSAL,
    DIRECT,
    HANDLED,
    HARMLESS,
    ROOT_VOLUME_DEFAULTS,
    Adoption,
    HelmPath,
    Request,
    csi_chart_key,
    empty,
)
from generator.scaffold.adopt_file import relocate, values_text
from generator.scaffold.runbook import Takeover
from generator.values.document import Document, format_path
from generator.values.load import load_bytes


def leaves(data: Any, path: HelmPath = ()) -> list[tuple[HelmPath, Any]]:
    """Every chart value by key path; a mapping the chart reads whole (resources) stays whole."""
    if isinstance(data, dict) and data and path not in DIRECT:
        out: list[tuple[HelmPath, Any]] = []
        for key, value in data.items():
            out.extend(leaves(value, (*path, str(key))))
        return out
    return [(path, data)]


def chart_fullname(release: str, helm: dict[str, Any]) -> str:
    """The chart's fullname rule (its _helpers.tpl): fullnameOverride, else the release when it
    contains the chart name (or nameOverride), else <release>-<name>; 63 characters at most."""
    override = helm.get("fullnameOverride")
    if isinstance(override, str) and override:
        return override[:63].rstrip("-")
    name = helm.get("nameOverride") or DRIVER.chart
    name = name if isinstance(name, str) else DRIVER.chart
    full = release if name in release else f"{release}-{name}"
    return full[:63].rstrip("-")


def _get(data: dict[str, Any], path: HelmPath) -> Any:
    node: Any = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _show(value: Any) -> str:
    text = block(value).strip() if not isinstance(value, (dict, list)) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def map_values(doc: Document, request: Request) -> Adoption:
    """Map the helm values onto our values; raise InvalidValues located in the helm file."""
    helm = doc.data
    problems: list[Problem] = []
    adoption = Adoption()

    def fail(path: HelmPath, message: str, code: str, *, key: bool = False) -> None:
        problems.append(doc.problem(path, message, code, key=key))

    if "USER-SUPPLIED VALUES" in helm or "COMPUTED VALUES" in helm:
        header = "USER-SUPPLIED VALUES" if "USER-SUPPLIED VALUES" in helm else "COMPUTED VALUES"
        fail(
            (header,),
            "this is helm's table output; run helm get values with -o yaml",
            "adopt-helm-format",
            key=True,
        )
        raise InvalidValues(problems)
    csi_key = csi_chart_key(helm)
    if csi_key is not None:
        fail(csi_key, CSI_REFUSAL, "adopt-csi-driver", key=True)
        raise InvalidValues(problems)
    server = _get(helm, ("nfs", "server"))
    if server in (None, ""):
        fail(
            ("nfs", "server"),
            "missing: the chart's release cannot run without it",
            "adopt-no-values",
        )
    fullname = chart_fullname(request.release, helm)
    mount_options = _get(helm, ("nfs", "mountOptions"))
    for path, value in leaves(helm):
        if path in DIRECT:
            if path == ("resources",) and empty(value):
                continue
            if path == ("nfs", "mountOptions") and value is None:
                continue
            adoption.put(DIRECT[path], value, path)
        elif path in HANDLED:
            continue
        elif path == ("imagePullSecrets",) and _secret_names(value) is not None:
            if value:
                adoption.put(("images", "pullSecrets"), _secret_names(value), path)
        elif path in ROOT_VOLUME_DEFAULTS:
            if (
                empty(mount_options)
                or value == ROOT_VOLUME_DEFAULTS[path]
                or value == [ROOT_VOLUME_DEFAULTS[path]]
            ):
                continue
            adoption.not_mapped.append(f"{format_path(path)} ({_show(value)})")
        elif path in HARMLESS and HARMLESS[path](value):
            continue
        else:
            adoption.not_mapped.append(f"{format_path(path)} ({_show(value)})")

    chart_class = _get(helm, ("storageClass", "name"))
    if chart_class is not None and not isinstance(chart_class, str):
        fail(("storageClass", "name"), "must be a string", "adopt-value-type")
    if (
        request.storage_class
        and isinstance(chart_class, str)
        and chart_class != request.storage_class
    ):
        fail(
            ("storageClass", "name"),
            f"the release's class is {chart_class!r} but --class says {request.storage_class!r}",
            "adopt-class-mismatch",
        )
    class_name = request.storage_class or (chart_class if isinstance(chart_class, str) else None)
    adoption.put(
        ("storageClass", "name"),
        class_name or "nfs-client",
        ("storageClass", "name") if chart_class is not None else None,
    )

    archive = _get(helm, ("storageClass", "archiveOnDelete"))
    # The chart writes "{{ archiveOnDelete }}": the parameter is Go's text of the value. The tree
    # writes "true" or "false", so only values printing as those keep the class unchanged.
    if archive is not None:
        if archive in (True, "true"):
            adoption.put(
                ("storageClass", "archiveOnDelete"), True, ("storageClass", "archiveOnDelete")
            )
        elif archive in (False, "false"):
            adoption.put(
                ("storageClass", "archiveOnDelete"), False, ("storageClass", "archiveOnDelete")
            )
        else:
            fail(
                ("storageClass", "archiveOnDelete"),
                f"{_show(archive)} is not true or false; the class's parameter cannot be kept "
                "(StorageClass parameters are immutable)",
                "adopt-archive-on-delete",
            )

    pinned = _get(helm, ("storageClass", "provisionerName"))
    if pinned is not None and not isinstance(pinned, str):
        fail(("storageClass", "provisionerName"), "must be a string", "adopt-value-type")
    provisioner = pinned if isinstance(pinned, str) and pinned else f"cluster.local/{fullname}"
    adoption.put(
        ("storageClass", "provisionerName"),
        provisioner,
        ("storageClass", "provisionerName") if pinned else None,
    )
    adoption.put(("storageClass", "default"), request.default_class, None)
    if _get(helm, ("storageClass", "allowVolumeExpansion")) is not False:
        adoption.changed.append(
            "storageClass.allowVolumeExpansion: true -> false (a mutable field: the provisioner "
            "cannot resize volumes)"
        )
    if _get(helm, ("leaderElection", "enabled")) is None and request_replicas(helm) == 1:
        adoption.changed.append(
            "leaderElection.enabled: true -> false (one replica with the Recreate strategy "
            "never runs twice)"
        )
    adoption.manual_names = {
        "ServiceAccount": _account(helm, fullname),
        "ClusterRole": f"{fullname}-runner",
        "ClusterRoleBinding": f"run-{fullname}",
        "Role": f"leader-locking-{fullname}",
        "RoleBinding": f"leader-locking-{fullname}",
        "Deployment": fullname,
    }
    if problems:
        raise InvalidValues(problems)
    return adoption


def _secret_names(value: Any) -> list[str] | None:
    """The chart's imagePullSecrets ([{name: x}]) as names, or None when not of that shape."""
    if not isinstance(value, list):
        return None
    if all(isinstance(item, dict) and list(item) == ["name"] for item in value):
        return [item["name"] for item in value]
    return None


def request_replicas(helm: dict[str, Any]) -> Any:
    replicas = helm.get("replicaCount", 1)
    return 1 if replicas is None else replicas


def _account(helm: dict[str, Any], fullname: str) -> str:
    name = _get(helm, ("serviceAccount", "name"))
    return name if isinstance(name, str) and name else fullname


def load_helm_values(raw: bytes, name: str) -> Document:
    """The helm file as a located document; `null` (no user-supplied values) is refused."""
    if raw.strip() in (b"null", b"{}"):
        raise InvalidValues(
            [
                Problem(
                    name,
                    1,
                    1,
                    "(root)",
                    "no values: the chart needs at least nfs.server",
                    "adopt-no-values",
                )
            ]
        )
    return load_bytes(raw, name)


@dataclass(frozen=True)
class Result:
    text: str  # the values file written
    adoption: Adoption
    takeover: Takeover


def adopt(request: Request, schema_ref: str) -> Result:
    """Map, validate (as render will read the file) and write; the runbook's facts returned.
    Nothing is written when anything is refused."""
    from generator.scaffold.init import write_new
    from generator.values.fleet import display_name, validate_new

    name = display_name(request.helm_values)
    try:
        raw = request.helm_values.read_bytes()
    except OSError as exc:
        raise InvalidValues(
            [Problem(name, 1, 1, "(root)", f"cannot read: {exc.strerror}", "file-unreadable")]
        ) from None
    doc = load_helm_values(raw, name)
    adoption = map_values(doc, request)
    text = values_text(adoption, request, schema_ref)
    try:
        model = build_model(
            validate_new(text.encode("utf-8"), request.target, name_problems).data, name
        )
    except InvalidValues as exc:
        raise InvalidValues(relocate(exc.problems, adoption, doc)) from None
    names, export = model.names, model.exports[0].names  # adopt writes the single form
    manual = adoption.manual_names
    tree = {
        "StorageClass": export.storage_class,
        "ClusterRole": export.cluster_role,
        "ClusterRoleBinding": export.cluster_role_binding,
    }
    shared = {"StorageClass": export.storage_class}
    if _get(doc.data, ("rbac", "create")) is not False:
        for kind in ("ClusterRole", "ClusterRoleBinding"):
            if manual[kind] == tree[kind]:
                shared[kind] = tree[kind]
    write_new(request.target, text)
    takeover = Takeover(
        release=request.release,
        namespace=request.namespace,
        cluster=request.cluster,
        engine=request.engine,
        values_file=display_name(request.target),
        output_dir="output",
        tree_namespace=names.namespace,
        provisioner=export.provisioner,
        chart_repository=model.values["chart"]["repository"],
        chart_version=model.values["chart"]["version"],
        application=names.application,
        flux_kustomization=names.flux_kustomization,
        shared=shared,
        root_volume=f"pv-{manual['Deployment']}" if model.values["nfs"]["mountOptions"] else None,
    )
    return Result(text, adoption, takeover)
