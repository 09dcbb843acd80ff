from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import RenderError
from generator.model import build_model
from generator.output.guard import tree_files
from generator.output.header import GENERATED_MARK
from generator.render import COMMON, plan, render
from generator.render import env as render_env
from generator.values.load import load_bytes
from generator.values.validate import validate
from tests.conftest import MINIMAL

# The rules the upstream chart grants (reference/nfs-subdir-external-provisioner.md), as data.
UPSTREAM_CLUSTER_RULES = [
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
    {
        "apiGroups": [""],
        "resources": ["persistentvolumes"],
        "verbs": ["get", "list", "watch", "create", "delete"],
    },
    {
        "apiGroups": [""],
        "resources": ["persistentvolumeclaims"],
        "verbs": ["get", "list", "watch", "update"],
    },
    {
        "apiGroups": ["storage.k8s.io"],
        "resources": ["storageclasses"],
        "verbs": ["get", "list", "watch"],
    },
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "update", "patch"]},
]
UPSTREAM_LEADER_RULES = [
    {
        "apiGroups": [""],
        "resources": ["endpoints"],
        "verbs": ["get", "list", "watch", "create", "update", "patch"],
    }
]


def rendered(extra: str = "") -> dict[str, str]:
    doc = load_bytes((MINIMAL + extra).encode(), "values/homelab.yaml")
    validate(doc)
    return render(build_model(doc.data, doc.file))


def objects(files: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for name, text in files.items():
        if name in ("helm-values.yaml", "kustomization.yaml", "kustomizeconfig.yaml"):
            continue
        for doc in yaml.safe_load_all(text):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def test_flux_tree_holds_every_object() -> None:
    files = rendered()
    assert list(files) == [
        "namespace.yaml",
        "provisioner-rbac.yaml",
        "node-installer.yaml",
        "storageclass.yaml",
        "preflight.yaml",
        "helmrepository.yaml",
        "helmrelease.yaml",
        "helm-values.yaml",
        "kustomizeconfig.yaml",
        "kustomization.yaml",
    ]
    kinds = sorted(kind for kind, _ in objects(files))
    assert kinds == sorted(
        [
            *("Namespace", "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"),
            *("ServiceAccount", "DaemonSet", "StorageClass"),
            *("HelmRepository", "HelmRelease", "ServiceAccount", "Job"),
        ]
    )
    kustomization = yaml.safe_load(files["kustomization.yaml"])
    assert kustomization["resources"] == list(files)[:7]


def test_every_file_starts_with_the_generated_header() -> None:
    doc = load_bytes(MINIMAL.encode(), "values/homelab.yaml")
    for text in tree_files(build_model(doc.data, doc.file)).values():
        assert text.startswith(f"{GENERATED_MARK} from values/homelab.yaml; DO NOT EDIT.\n")


def test_header_cannot_be_broken_by_a_hostile_file_name() -> None:
    doc = load_bytes(MINIMAL.encode(), "values/evil\nkind: Secret.yaml")
    files = tree_files(build_model(doc.data, doc.file))
    first_line = files["storageclass.yaml"].splitlines()[0]
    assert first_line == f'{GENERATED_MARK} from "values/evil\\nkind: Secret.yaml"; DO NOT EDIT.'
    assert yaml.safe_load(files["storageclass.yaml"])["kind"] == "StorageClass"


def test_provisioner_name_is_the_same_everywhere() -> None:
    files = rendered()
    storage_class = objects(files)[("StorageClass", "nfs-client")]
    chart = yaml.safe_load(files["helm-values.yaml"])
    assert storage_class["provisioner"] == "cluster.local/nfs-subdir-external-provisioner"
    assert chart["storageClass"]["provisionerName"] == storage_class["provisioner"]


def test_provisioner_name_follows_the_chart_fullname_rule() -> None:
    files = rendered("chart: {releaseName: nfs}\n")
    chart = yaml.safe_load(files["helm-values.yaml"])
    assert chart["storageClass"]["provisionerName"] == (
        "cluster.local/nfs-nfs-subdir-external-provisioner"
    )
    override = rendered("storageClass: {provisionerName: example.com/nas}\n")
    assert "provisioner: example.com/nas\n" in override["storageclass.yaml"]


def test_storage_class_is_the_default_and_cannot_expand() -> None:
    storage_class = objects(rendered())[("StorageClass", "nfs-client")]
    assert storage_class["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "true"
    }
    assert storage_class["allowVolumeExpansion"] is False
    assert storage_class["parameters"] == {"archiveOnDelete": "true"}
    assert storage_class["reclaimPolicy"] == "Delete"
    assert storage_class["volumeBindingMode"] == "Immediate"
    assert "mountOptions" not in storage_class
    not_default = objects(rendered("storageClass: {default: false}\n"))
    annotations = not_default[("StorageClass", "nfs-client")]["metadata"]["annotations"]
    assert annotations["storageclass.kubernetes.io/is-default-class"] == "false"


def test_storage_class_parameters_and_mount_options() -> None:
    files = rendered(
        "storageClass: {onDelete: delete, pathPattern: '${.PVC.namespace}/${.PVC.name}'}\n"
    ).items()
    storage_class = objects(dict(files))[("StorageClass", "nfs-client")]
    assert storage_class["parameters"] == {
        "archiveOnDelete": "true",
        "onDelete": "delete",
        "pathPattern": "${.PVC.namespace}/${.PVC.name}",
    }
    text = MINIMAL.replace("path: /data/K8s", "path: /data/K8s\n  mountOptions: [nfsvers=4.2]")
    doc = load_bytes(text.encode(), "v")
    files2 = render(build_model(doc.data, doc.file))
    assert yaml.safe_load(files2["storageclass.yaml"])["mountOptions"] == ["nfsvers=4.2"]
    assert yaml.safe_load(files2["helm-values.yaml"])["nfs"]["mountOptions"] == ["nfsvers=4.2"]


# The chart's RBAC for a configuration, minus the removals the README lists: the chart renders
# its endpoints Role and RoleBinding whenever rbac.create is on (reference, "Leader election");
# nfs-gitops leaves them out when leader election is off (one replica), as unused privilege.
def chart_rbac(*, leader_election: bool) -> dict[str, list[dict[str, Any]]]:
    rules = {"ClusterRole": UPSTREAM_CLUSTER_RULES}
    return {**rules, "Role": UPSTREAM_LEADER_RULES} if leader_election else rules


@pytest.mark.parametrize(
    ("extra", "election"),
    [
        ("", False),
        ("provisioner: {replicas: 2}\n", True),
        ("provisioner: {replicas: 1, leaderElection: true}\n", True),
        ("provisioner: {replicas: 3, leaderElection: null}\n", True),
        ("provisioner: {replicas: 1, leaderElection: false}\n", False),
    ],
    ids=["one-replica", "two-replicas", "asked-for", "three-replicas", "turned-off"],
)
def test_rbac_is_the_charts_for_the_configuration_minus_listed_removals(
    extra: str, election: bool
) -> None:
    files = rendered(extra)
    found = objects(files)
    rules = {
        kind: obj["rules"] for (kind, _), obj in found.items() if kind in ("ClusterRole", "Role")
    }
    assert rules == chart_rbac(leader_election=election)
    chart = yaml.safe_load(files["helm-values.yaml"])
    assert chart["leaderElection"] == {"enabled": election}
    # Election off is safe only because two provisioners never run at once: the chart's
    # default strategy, pinned.
    assert chart["strategyType"] == "Recreate"
    sa = found[("ServiceAccount", "nfs-subdir-external-provisioner")]
    assert sa["metadata"]["namespace"] == "nfs-provisioner"
    subject = {
        "kind": "ServiceAccount",
        "name": sa["metadata"]["name"],
        "namespace": "nfs-provisioner",
    }
    binding = found[("ClusterRoleBinding", "run-nfs-subdir-external-provisioner")]
    assert binding["subjects"] == [subject]
    assert binding["roleRef"]["name"] == "nfs-subdir-external-provisioner-runner"
    bindings = [kind for kind, _ in found if kind in ("ClusterRoleBinding", "RoleBinding")]
    # Only the provisioner gets RBAC: the installer's ServiceAccount is bound to nothing.
    assert sorted(bindings) == (
        ["ClusterRoleBinding", "RoleBinding"] if election else ["ClusterRoleBinding"]
    )
    if election:
        leader = found[("Role", "leader-locking-nfs-subdir-external-provisioner")]
        assert leader["metadata"]["namespace"] == "nfs-provisioner"
        role_binding = found[("RoleBinding", "leader-locking-nfs-subdir-external-provisioner")]
        assert role_binding["subjects"] == [subject]
        assert role_binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": leader["metadata"]["name"],
        }


def test_chart_values_switch_off_what_we_render() -> None:
    chart = yaml.safe_load(rendered()["helm-values.yaml"])
    assert chart["nfs"] == {"server": "192.168.169.3", "path": "/data/K8s"}
    assert chart["storageClass"]["create"] is False
    assert chart["rbac"] == {"create": False}
    assert chart["serviceAccount"] == {"create": False, "name": "nfs-subdir-external-provisioner"}
    assert chart["image"] == {
        "repository": "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner",
        "tag": "v4.0.2",
        "pullPolicy": "IfNotPresent",
    }
    assert chart["replicaCount"] == 1
    assert chart["leaderElection"] == {"enabled": False}
    assert chart["resources"]["limits"] == {"memory": "128Mi"}


def test_helm_release_consumes_the_generated_configmap() -> None:
    files = rendered()
    found = objects(files)
    release = found[("HelmRelease", "nfs-subdir-external-provisioner")]
    spec = release["spec"]
    assert spec["chart"]["spec"]["version"] == "4.0.18"
    assert spec["chart"]["spec"]["chart"] == "nfs-subdir-external-provisioner"
    assert spec["releaseName"] == "nfs-subdir-external-provisioner"
    assert spec["targetNamespace"] == "nfs-provisioner"
    # helm-controller 1.6 (Flux 2.9): see the README, "HelmRelease and Application settings".
    assert spec["timeout"] == "10m"
    assert spec["driftDetection"] == {"mode": "enabled"}
    for action in ("install", "upgrade"):
        assert spec[action] == {"strategy": {"name": "RetryOnFailure", "retryInterval": "5m"}}
    source = spec["chart"]["spec"]["sourceRef"]
    repository = found[("HelmRepository", source["name"])]
    assert repository["spec"]["url"] == (
        "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/"
    )
    kustomization = yaml.safe_load(files["kustomization.yaml"])
    generator = kustomization["configMapGenerator"][0]
    assert spec["valuesFrom"] == [
        {"kind": "ConfigMap", "name": generator["name"], "valuesKey": "values.yaml"}
    ]
    assert generator["files"] == ["values.yaml=helm-values.yaml"]
    config = yaml.safe_load(files["kustomizeconfig.yaml"])
    assert config["nameReference"][0]["fieldSpecs"] == [
        {"kind": "HelmRelease", "path": "spec/valuesFrom/name"}
    ]
    assert kustomization["configurations"] == ["kustomizeconfig.yaml"]


def test_node_installer_daemonset() -> None:
    found = objects(rendered())
    namespace = found[("Namespace", "nfs-node-installer")]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    provisioner_ns = found[("Namespace", "nfs-provisioner")]
    assert provisioner_ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    sa = found[("ServiceAccount", "nfs-client-installer")]
    assert sa["automountServiceAccountToken"] is False
    daemonset = found[("DaemonSet", "nfs-client-installer")]
    assert daemonset["metadata"]["namespace"] == "nfs-node-installer"
    pod = daemonset["spec"]["template"]["spec"]
    assert pod["hostPID"] is True
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "nfs-client-installer"
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert {
        "key": "node-role.kubernetes.io/control-plane",
        "operator": "Exists",
        "effect": "NoSchedule",
    } in pod["tolerations"]
    (init,) = pod["initContainers"]
    assert init["securityContext"] == {"privileged": True}
    assert init["command"][:2] == ["nsenter", "-t"] and "-m" in init["command"]
    script = init["args"][0]
    for package in (
        "apt_get install -q -y --no-install-recommends -o DPkg::Lock::Timeout=$wait_s nfs-common",
        'run "$pm" install -y nfs-utils',
        "run zypper --non-interactive install nfs-client",
        "run apk add --no-cache nfs-utils",
        "run pacman -Sy --noconfirm --needed nfs-utils",
    ):
        assert package in script
    assert "already installed" in script and "exit 1" in script
    (pause,) = pod["containers"]
    assert "privileged" not in pause["securityContext"]
    assert pause["securityContext"]["allowPrivilegeEscalation"] is False
    for container in (init, pause):
        assert container["resources"]["requests"] and container["resources"]["limits"]


def test_installer_disabled_and_shared_namespace() -> None:
    files = rendered("nodeInstaller: {enabled: false}\n")
    assert "node-installer.yaml" not in files
    assert "node-installer.yaml" not in yaml.safe_load(files["kustomization.yaml"])["resources"]
    assert [name for kind, name in objects(files) if kind == "Namespace"] == ["nfs-provisioner"]
    shared = objects(rendered("nodeInstaller: {namespace: nfs-provisioner}\n"))
    namespaces = [doc for (kind, _), doc in shared.items() if kind == "Namespace"]
    assert len(namespaces) == 1
    assert namespaces[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_user_node_selector_keeps_linux() -> None:
    pod = objects(rendered("nodeInstaller: {nodeSelector: {disk: nfs}}\n"))[
        ("DaemonSet", "nfs-client-installer")
    ]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"disk": "nfs", "kubernetes.io/os": "linux"}


def test_same_values_same_bytes() -> None:
    assert rendered() == rendered()


def test_template_errors_name_the_template_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = load_bytes(MINIMAL.encode(), "values/homelab.yaml")
    resources, support, entrypoints = plan(build_model(doc.data, doc.file))
    for each in [*COMMON, *resources, *support, *entrypoints]:
        (tmp_path / each.template).parent.mkdir(parents=True, exist_ok=True)
        body = "apiVersion: v1\nkind: X\nmetadata: {}\n" if each in resources else "a: 1\n"
        (tmp_path / each.template).write_text(body)
    template = "drivers/nfs-subdir-external-provisioner/storageclass.yaml.j2"
    (tmp_path / template).write_text("apiVersion: v1\nkind: X\nname: {{ v.nope }}\n")
    monkeypatch.setattr(render_env, "template_dir", lambda: tmp_path)
    render_env.environment.cache_clear()
    try:
        with pytest.raises(RenderError, match=rf"template {template}:3: .*nope"):
            rendered()
        # A structured value interpolated without the block filter is refused, not dumped.
        (tmp_path / template).write_text("a: {{ v.nfs }}\n")
        with pytest.raises(RenderError, match=r"storageclass\.yaml\.j2:1: not a YAML scalar"):
            rendered()
    finally:
        render_env.environment.cache_clear()


def test_preflight_job_is_least_privilege_and_on_by_default() -> None:
    [account, job] = yaml.safe_load_all(rendered()["preflight.yaml"])
    assert account["automountServiceAccountToken"] is False
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"]
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["restartPolicy"] == "Never"
    security = container["securityContext"]
    assert security["capabilities"] == {"drop": ["ALL"], "add": ["CHOWN", "DAC_OVERRIDE", "FOWNER"]}
    assert security["allowPrivilegeEscalation"] is False
    assert security["runAsUser"] == 0  # root, as the provisioner: root squash is what it probes
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert pod["volumes"] == [
        {"name": "export", "nfs": {"server": "192.168.169.3", "path": "/data/K8s"}}
    ]
    assert job["metadata"]["namespace"] == "nfs-provisioner"  # baseline Pod Security


def test_preflight_job_name_changes_with_what_it_probes_and_only_then() -> None:
    def name(extra: str, old: str = "", new: str = "") -> str:
        doc = load_bytes((MINIMAL.replace(old, new) + extra).encode(), "values/homelab.yaml")
        validate(doc)
        *_, job = yaml.safe_load_all(render(build_model(doc.data, doc.file))["preflight.yaml"])
        return str(job["metadata"]["name"])

    base = name("")
    assert re.fullmatch(r"nfs-preflight-[0-9a-f]{10}", base)
    assert name("") == base
    assert name("storageClass: {name: other}\n") == base  # not probed: same Job
    changed = {
        name("preflight: {requireChown: true}\n"),
        name("preflight: {activeDeadlineSeconds: 60}\n"),
        name("", "192.168.169.3", "10.0.0.9"),
        name("", "/data/K8s", "/data/other"),
    }
    assert base not in changed and len(changed) == 4


def test_preflight_can_be_turned_off() -> None:
    files = rendered("preflight: {enabled: false}\n")
    assert "preflight.yaml" not in files
    assert "preflight.yaml" not in yaml.safe_load(files["kustomization.yaml"])["resources"]


def test_preflight_mounts_through_a_pv_that_carries_the_mount_options() -> None:
    doc = load_bytes(
        MINIMAL.replace(
            "  path: /data/K8s\n", "  path: /data/K8s\n  mountOptions: [nfsvers=3, nolock]\n"
        ).encode(),
        "values/homelab.yaml",
    )
    validate(doc)
    account, volume, claim, job = yaml.safe_load_all(
        render(build_model(doc.data, doc.file))["preflight.yaml"]
    )
    name = job["metadata"]["name"]
    assert (volume["kind"], claim["kind"]) == ("PersistentVolume", "PersistentVolumeClaim")
    assert volume["spec"]["mountOptions"] == ["nfsvers=3", "nolock"]
    assert volume["spec"]["nfs"] == {"server": "192.168.169.3", "path": "/data/K8s"}
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert volume["spec"]["claimRef"] == {"namespace": "nfs-provisioner", "name": name}
    assert (
        claim["spec"]["volumeName"]
        == name
        == claim["metadata"]["name"]
        == volume["metadata"]["name"]
    )
    assert claim["spec"]["storageClassName"] == ""  # the PV has none: the server drops ""
    assert "storageClassName" not in volume["spec"]
    assert job["spec"]["template"]["spec"]["volumes"] == [
        {"name": "export", "persistentVolumeClaim": {"claimName": name}}
    ]
    assert account["kind"] == "ServiceAccount"
