"""Driver objects: what nfs-subdir-external-provisioner adds, and the hook for the defaults that
depend on the driver."""

from __future__ import annotations

import dataclasses

from generator.drivers import driver
from generator.drivers.nfs_subdir import DRIVER
from generator.model import build_model
from generator.values.load import load_bytes
from tests.conftest import MINIMAL


def test_the_default_driver_is_nfs_subdir() -> None:
    model = build_model(load_bytes(MINIMAL.encode(), "v.yaml").data, "v.yaml")
    assert model.exports[0].driver is DRIVER is driver("nfs-subdir-external-provisioner")
    assert model.exports[0].names.provisioner == "cluster.local/nfs-subdir-external-provisioner"
    assert [f.name for f in DRIVER.resources] == ["provisioner-rbac.yaml", "storageclass.yaml"]


def test_driver_defaults_fill_only_null_keys() -> None:
    other = dataclasses.replace(
        DRIVER,
        defaults={("storageClass", "provisionerName"): "example.com/nfs", ("nfs", "path"): "/x"},
    )
    values = {"storageClass": {"provisionerName": None}, "nfs": {"path": "/data"}}
    other.fill(values)
    assert values == {
        "storageClass": {"provisionerName": "example.com/nfs"},
        "nfs": {"path": "/data"},
    }
    assert DRIVER.defaults == {}  # nfs-subdir's defaults are all the schema's
