"""The day-2 guard's premise, on a real kube-apiserver (generator/output/guard.py).

For every change the guard refuses, applying the class of the old values and then the class of
the new values, without any recreate mechanism, fails with 422; for the changes it lets through
(mountOptions, the default flag) the same apply succeeds. mountOptions is the case the issue got
wrong: Kubernetes updates it in place, so refusing it would be a false alarm. A renamed class is
kept beside the new one and the default flag moves with the rename: a claim without a class gets
the new one.

Not proven here: the forced re-create through Flux's kustomize-controller (the real engines
belong to tests of their own); only its effect, delete then create, is.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.output.test_guard import BASE, FIELD_CASES

from .cluster import Certs, kube_apiserver
from .kubeapi import ApiError, Kube, Obj
from .trees import REPO

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def kube(
    binaries: dict[str, Path],
    certs: Certs,
    etcd_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Kube]:
    folder = tmp_path_factory.mktemp("immutable")
    with kube_apiserver(
        binaries["kube-apiserver"], etcd_url, "/e2e/immutable", certs, folder
    ) as server:
        yield server.client()


def classes(values: str, workdir: Path, *flags: str) -> dict[str, Obj]:
    """The StorageClasses the CLI renders for values into workdir's output folder: a fresh one
    (no guard), or over an earlier render there (through the guard)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "values.yaml").write_text(values)
    result = subprocess.run(
        [sys.executable, "-m", "generator", "render", "values.yaml", "--output-dir", "out", *flags],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    found = {}
    for path in sorted((workdir / "out" / "homelab").glob("storageclass*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            found[doc["metadata"]["name"]] = doc
    return found


def named(obj: Obj, name: str) -> Obj:
    return {**obj, "metadata": {**obj["metadata"], "name": name}}


@pytest.mark.parametrize(
    ("case", "before", "after", "field"),
    [(case[0], case[1], case[2], case[3].partition(".")[0]) for case in FIELD_CASES],
    ids=[case[0] for case in FIELD_CASES],
)
def test_an_immutable_change_is_refused_with_422(
    kube: Kube, tmp_path: Path, case: str, before: str, after: str, field: str
) -> None:
    name = f"guard-{case.lower()}"
    old = named(classes(BASE + before, tmp_path / "old")["nfs-client"], name)
    new = named(classes(BASE + after, tmp_path / "new")["nfs-client"], name)
    kube.apply(old)
    with pytest.raises(ApiError) as refused:
        kube.apply(new)
    assert refused.value.code == 422, refused.value
    causes = refused.value.status.get("details", {}).get("causes", [])
    assert field in {cause.get("field") for cause in causes}, refused.value.status
    # What the engines' recreate mechanism does instead: delete, then create.
    kube.request("DELETE", kube.path(old)[1])
    kube.create(new)
    assert kube.get(new)[field] == new[field]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("  mountOptions: [nfsvers=4.1]\n", "  mountOptions: [nfsvers=4.2, hard]\n"),
        ("", "  mountOptions: [hard]\n"),
        ("  mountOptions: [hard]\n", ""),
        ("", "storageClass:\n  default: false\nnamespace: storage\n"),
    ],
    ids=["mountOptions", "mountOptions-added", "mountOptions-removed", "default-flag"],
)
def test_what_the_guard_lets_through_is_accepted(
    kube: Kube, tmp_path: Path, before: str, after: str
) -> None:
    name = f"guard-mutable-{len(before)}-{len(after)}"
    old = named(classes(BASE + before, tmp_path / "old")["nfs-client"], name)
    new = named(classes(BASE + after, tmp_path / "new")["nfs-client"], name)
    assert old != new
    kube.apply(old)
    kube.apply(new)
    live = kube.get(new)
    assert live.get("mountOptions") == new.get("mountOptions")
    assert live["metadata"]["annotations"] == new["metadata"]["annotations"]


def test_a_renamed_class_is_kept_and_the_default_moves(kube: Kube, tmp_path: Path) -> None:
    workdir = tmp_path / "repo"
    before = classes(BASE, workdir)
    after = classes(BASE + "storageClass:\n  name: nfs-fast\n", workdir)
    assert set(after) == {"nfs-client", "nfs-fast"}
    # Other tests of this module leave default classes behind, and with several defaults the
    # admission picks the newest (timestamps in whole seconds): start from no class at all.
    listing = kube.request("GET", "/apis/storage.k8s.io/v1/storageclasses")
    for item in listing.get("items", []):
        class_path = f"/apis/storage.k8s.io/v1/storageclasses/{item['metadata']['name']}"
        kube.request("DELETE", class_path)
    for obj in before.values():
        kube.apply(obj)
    # The kept class applies over the live one: same immutable fields, only the flag changes.
    for obj in after.values():
        kube.apply(obj)
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "rename"}})
    claim: Obj = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "rename"},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    # DefaultStorageClass admission reads classes from an informer: give it a moment.
    deadline = time.monotonic() + 30
    while True:
        got = kube.create(claim, dry_run=True)["spec"].get("storageClassName")
        if got == "nfs-fast" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert got == "nfs-fast", "the default flag moved to the new class"
    for obj in after.values():
        kube.request("DELETE", kube.path(obj)[1])
