"""Issue 12's properties on a real kube-apiserver, over generated values files.

(a) What `validate` accepts, the API server accepts: hypothesis generates valid values files
    (every engine, every optional key, boundary values, odd-but-legal Unicode); each is rendered
    with the project's pipeline, built with kustomize, and every object is server-side applied
    with dryRun=All and fieldValidation=Strict (Namespaces for real, so the rest has somewhere
    to go). Any refusal is a finding.
(b) What the tree hands the chart, the chart renders unchanged: the real `helm template` of
    nfs-subdir-external-provisioner 4.0.18 (from E2E_CHARTS; this test fails loudly without it)
    renders each accepted file's helm-values.yaml, and the API server, which reads YAML as Go
    does (YAML 1.1 through sigs.k8s.io/yaml), must read back every interpolated value unchanged.

Examples are bounded (E2E_HOSTILE_EXAMPLES, default 60 each: about 40 s together) to keep
make e2e short.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from generator.errors import InvalidValues
from generator.model import build_model
from generator.output.plan import plan_tree
from generator.output.write import apply_changes
from generator.render import render
from generator.render.yamlsafe import quote
from generator.values.checks.resources import quantity
from generator.values.fleet import load_valid
from generator.values.load import load_bytes
from generator.values.plainscalar import reads_back
from generator.values.validate import validate
from tests.render.test_chart_reads_back import PLACES, TEXTS

from . import crds, trees
from .cluster import Certs, kube_apiserver
from .kubeapi import FIELD_MANAGER, ApiError, Kube, Obj

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("E2E_HOSTILE_EXAMPLES", "60"))
HELM = trees.REPO / "bin" / "helm"
CHART = "nfs-subdir-external-provisioner-4.0.18.tgz"
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: a finding is reproducible
    phases=(Phase.explicit, Phase.generate),  # shrinking through an API server takes minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def api(
    binaries: dict[str, Path], certs: Certs, etcd_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kube]:
    workdir = tmp_path_factory.mktemp("hostile-apiserver")
    with kube_apiserver(
        binaries["kube-apiserver"], etcd_url, "/e2e/hostile", certs, workdir
    ) as server:
        yield server.client()


@pytest.fixture(scope="module")
def chart() -> Path:
    where = os.environ.get("E2E_CHARTS")
    if not where:
        pytest.fail(
            "E2E_CHARTS is not set: run `make e2e E2E_CHARTS=DIR` with DIR holding " + CHART,
            pytrace=False,
        )
    path = (trees.REPO / where / CHART).resolve()
    if not path.is_file():
        pytest.fail(f"{CHART} not found in E2E_CHARTS ({where})", pytrace=False)
    if not (HELM.is_file() and os.access(HELM, os.X_OK)):
        pytest.fail(f"helm missing: {HELM} (run `make helm`; make e2e does)", pytrace=False)
    return path


# --- strategies: valid values files ---------------------------------------------------------

LOWER = "abcdefghijklmnopqrstuvwxyz"
ALNUM = LOWER + "0123456789"


@st.composite
def dns_label(draw: st.DrawFn, max_size: int = 63) -> str:
    """A DNS-1123 label that YAML 1.1 reads as text (starts with a letter), boundary lengths."""
    size = draw(st.sampled_from([1, 2, 7, max_size]))
    if size == 1:
        return draw(st.sampled_from("abcdfghijkmpqrsuvwxz"))  # not y, n, t, e, o, l: words
    middle = draw(st.text(ALNUM + "-", min_size=size - 2, max_size=size - 2))
    return draw(st.sampled_from(LOWER)) + middle + draw(st.sampled_from(ALNUM))


def not_reserved(name: str) -> bool:
    return name not in {"default", "argocd", "argo", "flux-system", "flux-ops"} and not (
        name.startswith("kube-")
    )


SERVERS = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str).filter(reads_back),  # '::' and '1:2:...:8' are refused
    st.sampled_from(["nas", "nas.home.arpa", "nas.example.com.", "fe80::1%eth0", "::1"]),
)
SEGMENT = st.text(
    st.sampled_from([*list("abcXYZ019._-"), "é", "ü", "日", "本", "Ω", "ß"]),
    min_size=1,
    max_size=12,
).filter(lambda s: s not in (".", ".."))
PATHS = st.lists(SEGMENT, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
OPTIONS = [
    "nfsvers=3", "nfsvers=4.1", "nfsvers=4.2", "hard", "soft", "noatime", "nolock",
    "proto=tcp", "timeo=1", "timeo=6000000", "retrans=0", "retrans=1000", "rsize=1024",
    "wsize=16777216", "port=0", "port=65535", "nconnect=16", "actimeo=0", "sec=sys",
    "clientaddr=192.168.1.9", "noresvport", "lookupcache=positive",
]  # fmt: skip
QUANTITIES = ["1m", "10m", "500m", "1", "2", "64Mi", "128Mi", "1Gi", "1.5Gi", "100k", "2G"]
IMAGES = st.fixed_dictionaries(
    {
        "repository": st.sampled_from(
            ["registry.k8s.io/pause", "docker.io/library/busybox", "localhost:5000/a/b-c"]
        ),
        "tag": st.sampled_from(["1.37.0", "v4.0.2", "latest", "a" * 128]),
    },
    optional={"pullPolicy": st.sampled_from(["IfNotPresent", "Always", "Never"])},
)


@st.composite
def resources(draw: st.DrawFn) -> dict[str, Any]:
    """requests and limits, each request at most its limit."""
    out: dict[str, Any] = {}
    for part in draw(st.sampled_from([(), ("requests",), ("limits",), ("requests", "limits")])):
        out[part] = {}
    for name in ("cpu", "memory", "ephemeral-storage"):
        pair = draw(st.lists(st.sampled_from(QUANTITIES), min_size=2, max_size=2))
        low, high = sorted(pair, key=lambda text: quantity(text) or 0)
        for part, value in (("requests", low), ("limits", high)):
            if part in out and draw(st.booleans()):
                out[part][name] = value
    return out


TOLERATION = st.one_of(
    st.just({"operator": "Exists"}),
    st.fixed_dictionaries(
        {"key": st.sampled_from(["node-role.kubernetes.io/control-plane", "a.b/c", "k"])},
        optional={
            "operator": st.just("Equal"),
            "value": st.sampled_from(["", "v", "x" * 63]),
            "effect": st.sampled_from(["NoSchedule", "PreferNoSchedule"]),
        },
    ),
    st.fixed_dictionaries(
        {
            "operator": st.just("Exists"),
            "effect": st.just("NoExecute"),
            "tolerationSeconds": st.sampled_from([0, 1, 300, 2**31, 2**63 - 1]),
        }
    ),
)
LABEL_KEYS = st.sampled_from(["disk", "example.com/nfs", "a" * 63, "node.kubernetes.io/x_y.z"])
LABEL_VALUES = st.sampled_from(["", "true", "ssd", "b" * 63, "A-1_b.2"])


@st.composite
def values_files(draw: st.DrawFn) -> dict[str, Any]:
    engine = draw(st.sampled_from(["flux", "argocd", "kustomize"]))
    namespace = draw(dns_label().filter(not_reserved).filter(reads_back))
    release = draw(dns_label(53).filter(reads_back))
    data: dict[str, Any] = {
        "cluster": draw(dns_label()),
        "nfs": {"server": draw(SERVERS), "path": draw(PATHS)},
    }
    if draw(st.booleans()):
        data["nfs"]["mountOptions"] = draw(
            st.lists(st.sampled_from(OPTIONS), unique=True, max_size=5).filter(_options_agree)
        )
    optional: dict[str, st.SearchStrategy[Any]] = {
        "kubernetesVersion": st.sampled_from(["1.33", "1.37"]),
        "namespace": st.just(namespace),
        "storageClass": st.fixed_dictionaries(
            {},
            optional={
                "name": st.sampled_from(["nfs", "nfs-client", "a.b-c", ("s" * 63 + ".") * 3 + "z"]),
                "default": st.booleans(),
                "reclaimPolicy": st.sampled_from(["Delete", "Retain"]),
                "archiveOnDelete": st.booleans(),
                "onDelete": st.sampled_from([None, "delete", "retain"]),
                "pathPattern": st.sampled_from(
                    [None, "${.PVC.namespace}/${.PVC.name}", "${.PVC.annotations.a.b/c}", "données"]
                ),
                "volumeBindingMode": st.sampled_from(["Immediate", "WaitForFirstConsumer"]),
                "provisionerName": st.sampled_from(
                    [None, "example.com/nfs", "nfs", "e.com/" + "p" * 63]
                ),
            },
        ),
        "chart": st.fixed_dictionaries(
            {},
            optional={
                "repository": st.sampled_from(["https://charts.example.com/", "https://h/ü"]),
                "version": st.sampled_from(["4.0.18", "4.0.19-rc.1"]),
                "releaseName": st.just(release),
            },
        ),
        "provisioner": st.fixed_dictionaries(
            {},
            optional={
                "image": IMAGES,
                "replicas": st.sampled_from([1, 5]),
                "leaderElection": st.just(True),
                "resources": resources(),
            },
        ),
        "nodeInstaller": st.fixed_dictionaries(
            {},
            optional={
                "enabled": st.booleans(),
                "namespace": st.sampled_from([namespace, "nfs-node-installer", "i" * 63]),
                "image": IMAGES,
                "pauseImage": IMAGES,
                "nodeSelector": st.dictionaries(LABEL_KEYS, LABEL_VALUES, max_size=3),
                "tolerations": st.lists(TOLERATION, max_size=3),
                "resources": resources(),
            },
        ),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            data[key] = draw(strategy)
    gitops: dict[str, Any] = {"engine": engine}
    if engine == "argocd" or draw(st.booleans()):
        gitops["repoURL"] = draw(
            st.sampled_from(
                ["https://git.example.com/fleet.git", "ssh://git@h/x.git", "git@h:x/y.git"]
            )
        )
    gitops |= draw(
        st.fixed_dictionaries(
            {},
            optional={
                "interval": st.sampled_from(["1ms", "30m", "1h30m", "2562047h"]),
                "revision": st.sampled_from(["HEAD", "main", "v1.0", "ветка"]),
                "path": st.sampled_from([None, "clusters/a", "x"]),
                "flux": st.fixed_dictionaries(
                    {},
                    optional={
                        "kustomization": st.booleans(),
                        "gitRepository": st.sampled_from(["flux-system", "fleet.repo"]),
                        "namespace": st.sampled_from(["flux-system", "flux-ops"]),
                    },
                ),
                "argocd": st.fixed_dictionaries(
                    {},
                    optional={
                        "project": st.sampled_from(["default", "storage.team"]),
                        "namespace": st.sampled_from(["argocd", "argo"]),
                        "server": st.sampled_from(
                            ["https://kubernetes.default.svc", "https://h:6443"]
                        ),
                        "applicationSet": st.booleans(),
                    },
                ),
            },
        )
    )
    data["gitops"] = gitops
    return data


def _options_agree(options: list[str]) -> bool:
    """Each option once (port=0 and port=65535 contradict), and not both hard and soft."""
    names = [option.partition("=")[0] for option in options]
    return len(set(names)) == len(names) and not {"hard", "soft"} <= set(names)


# --- (a) what validate accepts, the API server accepts ---------------------------------------


def render_tree(data: dict[str, Any], workdir: Path, kustomize: Path) -> list[Obj]:
    """Render like `nfs-gitops render` and build like the GitOps engine: the objects to apply."""
    values = workdir / "values" / "c.yaml"
    values.parent.mkdir(parents=True)
    values.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (doc,) = load_valid([values])  # the strategy makes valid files; a refusal fails here
    changes = plan_tree(doc, workdir / "output")
    apply_changes(changes)
    tree = trees.Tree("generated", changes.tree, values, True, True, True)
    built, _ = trees.build(kustomize, tree, workdir)
    return built + trees.outside_kustomization(tree, built)


def apply_all(kube: Kube, crd_dir: Path, objects: list[Obj]) -> list[str]:
    """Server-side apply: Namespaces for real, the rest with dryRun=All. The refusals."""
    crds.install_for(kube, crd_dir, objects)
    held = {o["metadata"]["name"] for o in trees.of_kind(objects, "Namespace")}
    used = {o["metadata"].get("namespace") for o in objects} - {None} - held
    namespaces: list[Obj] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in used
    ]
    refused = []
    for obj in namespaces + trees.of_kind(objects, "Namespace"):
        kube.apply(obj)
    for obj in objects:
        if obj["kind"] == "Namespace":
            continue
        try:
            kube.apply(obj, dry_run=True)
        except (ApiError, LookupError) as error:
            refused.append(f"{obj['kind']} {obj['metadata'].get('name')}: {error}")
    return refused


@SETTINGS
@given(data=values_files())
def test_what_validate_accepts_the_api_server_accepts(
    data: dict[str, Any], api: Kube, kustomize: Path, crd_dir: Path
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        objects = render_tree(data, Path(scratch), kustomize)
    assert objects
    refused = apply_all(api, crd_dir, objects)
    assert not refused, yaml.safe_dump(data, allow_unicode=True) + "\n".join(refused)


# --- (b) the real chart reads back what the tree hands it -------------------------------------


def helm_template(chart: Path, values_text: str, release: str, namespace: str) -> list[str]:
    """The chart's rendered documents, as text (what Helm gives the API server)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", encoding="utf-8") as values:
        values.write(values_text)
        values.flush()
        result = subprocess.run(
            [str(HELM), "template", release, str(chart), "--namespace", namespace,
             "--values", values.name, "--kube-version", "1.37.0"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [part for part in result.stdout.split("\n---\n") if "kind:" in part]


def read_back(kube: Kube, text: str, namespace: str) -> Obj:
    """The object the API server decodes from the chart's YAML text (dry run)."""
    head = yaml.safe_load(text)  # kind and name only: chart-made, plain names
    _resource, path = kube.path(head, default_namespace=namespace)
    query = {"fieldManager": FIELD_MANAGER, "fieldValidation": "Strict", "dryRun": "All"}
    _, body = kube.raw("PATCH", path, text.encode(), "application/apply-patch+yaml", query)

    obj: Obj = json.loads(body)  # the server's JSON: what Go read from the YAML
    return obj


def _dump(data: dict[str, Any]) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


# Valid files (the chart must read back what they hold) and tricky texts at each interpolated
# field (refused ones never reach the chart; accepted ones must read back too).
CHART_INPUTS = st.one_of(
    values_files().map(_dump),
    st.builds(lambda place, text: ("cluster: c\n" + PLACES[place](text)).encode(),
              st.sampled_from(sorted(PLACES)), TEXTS),
)  # fmt: skip


@SETTINGS
@given(raw=CHART_INPUTS)
def test_the_real_chart_reads_back_what_the_tree_hands_it(
    raw: bytes, api: Kube, chart: Path
) -> None:
    try:
        doc = load_bytes(raw, "values/c.yaml")
        validate(doc)
    except InvalidValues:
        return  # refused: nothing reaches the chart
    model = build_model(doc.data, "values/c.yaml")
    namespace = model.names.namespace
    api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    documents = helm_template(
        chart, render(model)["helm-values.yaml"], model.exports[0].names.release, namespace
    )
    nfs = model.values["nfs"]
    for text_doc in documents:
        obj = read_back(api, text_doc, namespace)
        if obj["kind"] == "Deployment":
            spec = obj["spec"]["template"]["spec"]
            env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
            assert env["NFS_SERVER"] == nfs["server"]
            assert env["NFS_PATH"] == nfs["path"]
            assert env["PROVISIONER_NAME"] == model.exports[0].names.provisioner
            assert spec["serviceAccountName"] == model.exports[0].names.service_account
            volume = spec["volumes"][0]
            if "nfs" in volume:
                assert volume["nfs"] == {"server": nfs["server"], "path": nfs["path"]}
        if obj["kind"] == "PersistentVolume":
            assert obj["spec"]["nfs"] == {"server": nfs["server"], "path": nfs["path"]}
            assert obj["spec"]["mountOptions"] == nfs["mountOptions"]


def test_helm_is_the_pinned_version(chart: Path) -> None:
    result = subprocess.run([str(HELM), "version", "--short"], capture_output=True, text=True)
    assert result.stdout.startswith("v3.21.4"), result.stdout


def test_the_oracle_sees_the_issues_truncation(api: Kube, chart: Path) -> None:
    """The oracle is not blind: the chart really cuts '/exports/k8s #tenant-b' (refused here)."""
    values = 'nfs:\n  server: nas\n  path: "/exports/k8s #tenant-b"\n'
    api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "oracle"}})
    (deployment,) = [d for d in helm_template(chart, values, "r", "oracle") if "Deployment" in d]
    obj = read_back(api, deployment, "oracle")
    env = {
        e["name"]: e.get("value") for e in obj["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["NFS_PATH"] == "/exports/k8s"
    hostile = quote("/exports/k8s #tenant-b")
    with pytest.raises(InvalidValues):
        validate(load_bytes(f"cluster: c\nnfs: {{server: nas, path: {hostile}}}\n".encode(), "v"))


def test_the_api_oracle_is_not_blind(api: Kube, kustomize: Path, crd_dir: Path) -> None:
    """Objects the issue saw refused (tolerationSeconds without NoExecute, requests above
    limits) are refused by apply_all when rendered past validation; validate refuses them."""
    data: dict[str, Any] = {
        "cluster": "blind",
        "nfs": {"server": "nas", "path": "/d"},
        "nodeInstaller": {
            "tolerations": [{"operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}],
            "resources": {"requests": {"cpu": "600m"}, "limits": {"cpu": "500m"}},
        },
    }
    with pytest.raises(InvalidValues):
        validate(load_bytes(_dump(data), "v"))
    files = render(build_model(data, "v"))
    objects = [o for o in yaml.safe_load_all(files["node-installer.yaml"]) if o]
    objects += [o for o in yaml.safe_load_all(files["namespace.yaml"]) if o]
    refused = apply_all(api, crd_dir, objects)
    assert len(refused) == 1 and refused[0].startswith("DaemonSet nfs-client-installer:")
    assert (
        "tolerationSeconds" in refused[0]
        and "must be less than or equal to cpu limit" in (refused[0])
    ), refused
