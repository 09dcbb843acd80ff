"""Hostile text through the csi-driver-nfs templates: refused, or out of the YAML as exactly
itself (the same property as test_properties.py, over the keys csi-driver-nfs renders)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from generator.values.checks.drivers import csi_sub_dir
from tests.render.test_properties import (
    SENTINEL,
    baselines,
    hostile_text,
    put,
    rendered_objects,
    replaced,
)

IMAGE = {"repository": "registry.k8s.io/sig-storage/nfsplugin", "tag": "v4.13.4"}
BASE: dict[str, Any] = {
    "cluster": "edge",
    "driver": "csi-driver-nfs",
    "nfs": {"server": "nas", "path": "/data"},
    "csi": {"images": {"nfs": dict(IMAGE)}, "snapshots": {"enabled": True}},
}
# Field path -> (prefix that makes a value plausible for the field, sentinel value).
FIELDS: dict[tuple[str | int, ...], tuple[str, str]] = {
    ("namespace",): ("", SENTINEL),
    ("nfs", "server"): ("", SENTINEL),
    ("nfs", "path"): ("/", "/" + SENTINEL),
    ("nfs", "mountOptions", 0): ("", "noatime"),
    ("storageClass", "name"): ("", SENTINEL),
    ("storageClass", "pathPattern"): ("", SENTINEL),
    ("storageClass", "mountPermissions"): ("0", "0750"),
    ("chart", "releaseName"): ("", SENTINEL),
    ("chart", "repository"): ("https://", "https://" + SENTINEL),
    ("csi", "images", "nfs", "repository"): ("", SENTINEL),
    ("csi", "images", "nfs", "tag"): ("", SENTINEL),
    ("csi", "snapshots", "className"): ("", SENTINEL),
    ("images", "registry"): ("", SENTINEL),
}


baseline_for = baselines(BASE, FIELDS)


@pytest.mark.parametrize("path", list(FIELDS), ids=[".".join(map(str, p)) for p in FIELDS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text)
@example(text="${.PVC.namespace}/${.PVC.name}: #x")
@example(text='"\n- a: b')
def test_hostile_string_is_refused_or_round_trips(path: tuple[str | int, ...], text: str) -> None:
    prefix, sentinel = FIELDS[path]
    baseline = baseline_for(path)
    assert any(sentinel in str(docs) for docs in baseline.values()), "the field is rendered"
    result = rendered_objects(put(BASE, path, prefix + text), path)
    if result is None:
        return  # refused with located problems: fine
    objects, loaded = result
    if path == ("storageClass", "pathPattern"):
        loaded = csi_sub_dir(loaded)  # rendered as the driver's subDir
    assert objects == replaced(baseline, sentinel, loaded)
