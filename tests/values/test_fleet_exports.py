"""Fleet defaults and several exports: `exports` merges by name; the single form's nfs.* and
storageClass.* defaults apply to each export, except the naming keys and the default flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import InvalidValues
from generator.model import build_model
from generator.model.checks import name_problems
from generator.values.fleet import load_valid

DEFAULTS = """\
nfs:
  mountOptions: [nfsvers=4.1, hard]
storageClass:
  name: shared-name
  default: true
  reclaimPolicy: Retain
  provisionerName: example.com/shared
chart:
  releaseName: shared-release
"""
CLUSTER = """\
cluster: studio
exports:
  - name: fast
    server: 192.168.169.3
    path: /ssd
    storageClass: {reclaimPolicy: Delete}
  - name: bulk
    server: 192.168.169.4
    path: /hdd
    mountOptions: [nfsvers=3, nolock]
"""


def fleet(tmp_path: Path, defaults: str, cluster: str) -> Path:
    (tmp_path / "_defaults.yaml").write_text(defaults)
    (tmp_path / "studio.yaml").write_text(cluster)
    return tmp_path


def test_single_form_defaults_apply_to_each_export_but_not_its_names(tmp_path: Path) -> None:
    [doc] = load_valid([fleet(tmp_path, DEFAULTS, CLUSTER)], name_problems)
    assert "nfs" not in doc.data and "storageClass" not in doc.data
    assert "releaseName" not in doc.data["chart"]
    fast, bulk = doc.data["exports"]
    assert fast["mountOptions"] == ["nfsvers=4.1", "hard"]  # from the defaults
    assert bulk["mountOptions"] == ["nfsvers=3", "nolock"]  # the export's own wins
    assert fast["storageClass"]["reclaimPolicy"] == "Delete"
    assert bulk["storageClass"]["reclaimPolicy"] == "Retain"
    for export in (fast, bulk):
        assert not {"name", "default", "provisionerName"} & set(export["storageClass"])
    model = build_model(doc.data, doc.file)
    assert [e.names.storage_class for e in model.exports] == ["nfs-fast", "nfs-bulk"]
    assert [e.names.release for e in model.exports] == [
        "nfs-subdir-external-provisioner-fast",
        "nfs-subdir-external-provisioner-bulk",
    ]
    assert [e.storage_class["default"] for e in model.exports] == [False, False]


def test_the_single_form_keeps_its_defaults(tmp_path: Path) -> None:
    single = "cluster: studio\nnfs: {server: 192.168.169.3, path: /data}\n"
    [doc] = load_valid([fleet(tmp_path, DEFAULTS, single)])
    assert doc.data["storageClass"]["name"] == "shared-name"
    assert doc.data["chart"]["releaseName"] == "shared-release"


def test_exports_merge_by_name(tmp_path: Path) -> None:
    defaults = """\
exports:
  - name: archive
    server: nas.example.com
    path: /archive
  - name: fast
    server: 192.168.169.3
    path: /ssd
    storageClass: {reclaimPolicy: Retain}
"""
    cluster = """\
cluster: studio
exports:
  - name: fast
    storageClass: {default: true}
  - name: bulk
    server: 192.168.169.4
    path: /hdd
"""
    [doc] = load_valid([fleet(tmp_path, defaults, cluster)], name_problems)
    names = [export["name"] for export in doc.data["exports"]]
    assert names == ["fast", "bulk", "archive"]  # the cluster's order, then the defaults' others
    fast = doc.data["exports"][0]
    assert fast["server"] == "192.168.169.3"
    assert fast["storageClass"] == {"reclaimPolicy": "Retain", "default": True}


def test_a_bad_shared_value_is_located_in_the_defaults_file(tmp_path: Path) -> None:
    defaults = "nfs:\n  mountOptions: [hard, rsize=12]\n"
    with pytest.raises(InvalidValues) as caught:
        load_valid([fleet(tmp_path, defaults, CLUSTER)], name_problems)
    [problem] = caught.value.problems  # bulk sets its own options: only fast gets the bad one
    assert problem.code == "mount-option"
    assert problem.file.endswith("_defaults.yaml")
    assert (problem.line, problem.column) == (2, 24)
    assert problem.field == "exports[0].mountOptions[1]"


def test_a_bad_value_of_a_merged_export_is_located_in_its_file(tmp_path: Path) -> None:
    defaults = "exports:\n  - name: fast\n    server: nfs://nas\n    path: /ssd\n"
    cluster = "cluster: studio\nexports:\n  - name: bulk\n    server: nas\n    path: /hdd\n"
    with pytest.raises(InvalidValues) as caught:
        load_valid([fleet(tmp_path, defaults, cluster)], name_problems)
    [problem] = caught.value.problems
    assert (problem.code, problem.field) == ("nfs-server", "exports[1].server")
    assert problem.file.endswith("_defaults.yaml")
    assert (problem.line, problem.column) == (3, 13)
