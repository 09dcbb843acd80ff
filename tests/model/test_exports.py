"""Several exports: names derived once per export, stable when exports come and go, and the
single form converted to `exports:` with pins renders the same bytes."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from generator.model import build_model
from generator.output.guard import tree_files
from generator.values.load import load_bytes
from generator.values.validate import validate

SINGLE = """\
cluster: homelab
nfs:
  server: 192.168.169.3
  path: /data/K8s
  mountOptions: [nfsvers=4.1]
storageClass:
  reclaimPolicy: Retain
chart:
  releaseName: nfs-subdir-external-provisioner
"""
# The same export in the several form, its names pinned to what the single form derived.
PINNED = """\
cluster: homelab
exports:
  - name: main
    server: 192.168.169.3
    path: /data/K8s
    mountOptions: [nfsvers=4.1]
    release: nfs-subdir-external-provisioner
    provisionerName: cluster.local/nfs-subdir-external-provisioner
    storageClass:
      name: nfs-client
      default: true
      reclaimPolicy: Retain
"""
FAST = """\
  - name: fast
    server: 192.168.169.3
    path: /volume1/k8s-ssd
    storageClass: {default: true}
"""
BULK = """\
  - name: bulk
    server: 192.168.169.4
    path: /volume2/k8s
    mountOptions: [nfsvers=4.1, hard]
    storageClass: {reclaimPolicy: Retain}
"""
COLD = """\
  - name: cold
    server: nas.example.com
    path: /archive
    storageClass: {archiveOnDelete: false}
"""


def files_of(text: str, engine: str = "flux") -> dict[str, str]:
    gitops = f"gitops: {{engine: {engine}, repoURL: 'https://example.com/fleet.git'}}\n"
    doc = load_bytes(f"{text}{gitops}".encode(), "values.yaml")
    validate(doc)
    return tree_files(build_model(doc.data, doc.file))


def objects(files: dict[str, str]) -> dict[tuple[str, str], str]:
    """(kind, name) -> the object's text exactly as written (its document, comments included)."""
    found: dict[tuple[str, str], str] = {}
    for name, text in files.items():
        for chunk in text.split("\n---\n"):
            doc = yaml.safe_load(chunk)
            if isinstance(doc, dict) and "kind" in doc and "metadata" in doc:
                key = (doc["kind"], doc["metadata"]["name"])
                assert key not in found, f"{key} twice ({name})"
                found[key] = chunk
    return found


@pytest.mark.parametrize("engine", ["flux", "argocd", "kustomize"])
def test_the_single_form_converted_with_pins_renders_the_same_bytes(engine: str) -> None:
    single = files_of(SINGLE, engine)
    assert files_of(PINNED, engine) == single
    assert "helm-values.yaml" in single


def test_every_export_gets_its_own_names() -> None:
    model = build_model(load_bytes(f"cluster: c\nexports:\n{FAST}{BULK}".encode(), "v").data, "v")
    names = [export.names for export in model.exports]
    assert [n.storage_class for n in names] == ["nfs-fast", "nfs-bulk"]
    assert [n.release for n in names] == [
        "nfs-subdir-external-provisioner-fast",
        "nfs-subdir-external-provisioner-bulk",
    ]
    assert [n.provisioner for n in names] == [
        "cluster.local/nfs-subdir-external-provisioner-fast",
        "cluster.local/nfs-subdir-external-provisioner-bulk",
    ]
    assert len({n.cluster_role for n in names}) == len({n.service_account for n in names}) == 2
    assert [e.values_file for e in model.exports] == [
        "helm-values-nfs-subdir-external-provisioner-fast.yaml",
        "helm-values-nfs-subdir-external-provisioner-bulk.yaml",
    ]
    assert len({e.preflight_job for e in model.exports}) == 2


@pytest.mark.parametrize("engine", ["flux", "argocd", "kustomize"])
def test_adding_an_export_renames_nothing_of_the_others(engine: str) -> None:
    def tree(exports: str) -> dict[tuple[str, str], str]:
        return objects(files_of(f"cluster: c\nexports:\n{exports}", engine))

    # The one object every export shares: Argo CD's Application lists each release's source.
    shared = {("Application", "c-nfs-storage")}
    two = tree(FAST + BULK)
    three = tree(FAST + COLD + BULK)  # in the middle: positions move, names must not
    assert set(two) < set(three)
    assert {key: three[key] for key in two if key not in shared} == {
        key: text for key, text in two.items() if key not in shared
    }
    added = set(three) - set(two)
    assert ("StorageClass", "nfs-cold") in added
    assert len(added) >= 4  # its class, ServiceAccount, ClusterRole and binding at least


def test_one_release_per_export_in_every_engine_file() -> None:
    files = files_of(f"cluster: c\nexports:\n{FAST}{BULK}", "flux")
    releases = [d for d in yaml.safe_load_all(files["helmrelease.yaml"])]
    assert [r["spec"]["releaseName"] for r in releases] == [
        "nfs-subdir-external-provisioner-fast",
        "nfs-subdir-external-provisioner-bulk",
    ]
    kustomization = yaml.safe_load(files["kustomization.yaml"])
    generated = kustomization["configMapGenerator"]
    assert [g["name"] for g in generated] == [
        "nfs-subdir-external-provisioner-fast-values",
        "nfs-subdir-external-provisioner-bulk-values",
    ]
    for release, generator in zip(releases, generated, strict=True):
        assert release["spec"]["valuesFrom"][0]["name"] == generator["name"]
    fast = yaml.safe_load(files["helm-values-nfs-subdir-external-provisioner-fast.yaml"])
    bulk = yaml.safe_load(files["helm-values-nfs-subdir-external-provisioner-bulk.yaml"])
    assert (fast["nfs"]["server"], bulk["nfs"]["server"]) == ("192.168.169.3", "192.168.169.4")
    assert bulk["nfs"]["mountOptions"] == ["nfsvers=4.1", "hard"]
    classes = {c["metadata"]["name"]: c for c in yaml.safe_load_all(files["storageclass.yaml"])}
    assert fast["storageClass"]["provisionerName"] == classes["nfs-fast"]["provisioner"]
    assert bulk["storageClass"]["provisionerName"] == classes["nfs-bulk"]["provisioner"]
    default = "storageclass.kubernetes.io/is-default-class"
    assert [c["metadata"]["annotations"][default] for c in classes.values()] == ["true", "false"]
    assert classes["nfs-bulk"]["reclaimPolicy"] == "Retain"
    assert len(list(yaml.safe_load_all(files["helmrepository.yaml"]))) == 1


def test_each_export_gets_its_own_preflight_job_and_one_service_account() -> None:
    files = files_of(f"cluster: c\nexports:\n{FAST}{BULK}")
    docs: list[Any] = list(yaml.safe_load_all(files["preflight.yaml"]))
    kinds = [d["kind"] for d in docs]
    assert kinds.count("ServiceAccount") == 1
    jobs = [d for d in docs if d["kind"] == "Job"]
    targets = [
        next(
            e["value"]
            for e in j["spec"]["template"]["spec"]["containers"][0]["env"]
            if e["name"] == "PREFLIGHT_EXPORT"
        )
        for j in jobs
    ]
    assert sorted(targets) == ["192.168.169.3:/volume1/k8s-ssd", "192.168.169.4:/volume2/k8s"]
