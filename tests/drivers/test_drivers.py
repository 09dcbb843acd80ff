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


def _schema_default(path: tuple[str | int, ...]) -> object:
    from generator.schema import resolve, schema

    node = schema()
    for key in path:
        node = resolve(node)["properties"][key]
    return resolve(node).get("default", "(none)")


def test_each_driver_fills_exactly_the_keys_the_schema_leaves_null_for_it() -> None:
    from generator.drivers import registry

    drivers = registry().values()
    keys = {path for d in drivers for path in d.defaults}
    assert keys == {
        ("chart", "repository"),
        ("chart", "version"),
        ("chart", "releaseName"),
        ("nodeInstaller", "enabled"),
    }
    for d in drivers:
        assert set(d.defaults) == keys, d.name  # no driver leaves one of them null
    for path in keys:
        assert _schema_default(path) is None, path
