"""devtools/crd_schemas.py: generated CRDs turned into strict kubeconform schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools import crd_schemas as cs

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / ".cache" / "crds"
SCHEMAS = ROOT / ".cache" / "schemas" / "crds"


def crd(name: str, schema: dict[str, Any], served: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": "example.io",
            "names": {"kind": "Widget", "plural": "widgets"},
            "versions": [
                {"name": "v1", "served": served, "schema": {"openAPIV3Schema": schema}},
                {"name": "v1beta1", "served": False, "schema": {"openAPIV3Schema": schema}},
            ],
        },
    }


SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A widget.",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "port": {"x-kubernetes-int-or-string": True},
                "size": {
                    "anyOf": [{"type": "integer"}, {"type": "string"}],
                    "x-kubernetes-int-or-string": True,
                },
                "values": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "open": {
                    "type": "object",
                    "properties": {"a": {"type": "string"}},
                    "x-kubernetes-preserve-unknown-fields": True,
                },
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "description": {"type": "string", "description": "a field named description"},
            },
        }
    },
}


def test_strict_closes_objects_with_properties_only() -> None:
    out = cs.strict(SCHEMA)
    spec = out["properties"]["spec"]
    assert out["additionalProperties"] is False
    assert spec["additionalProperties"] is False
    assert "additionalProperties" not in spec["properties"]["values"]  # no properties
    assert "additionalProperties" not in spec["properties"]["open"]  # preserves unknown fields
    assert spec["properties"]["labels"]["additionalProperties"] == {"type": "string"}


def test_strict_int_or_string() -> None:
    spec = cs.strict(SCHEMA)["properties"]["spec"]["properties"]
    assert spec["port"]["oneOf"] == [{"type": "string"}, {"type": "integer"}]
    assert "oneOf" not in spec["size"]  # its own anyOf already says it


def test_without_descriptions_keeps_a_property_named_description() -> None:
    out = cs.without_descriptions(SCHEMA)
    assert "description" not in out
    field = out["properties"]["spec"]["properties"]["description"]
    assert field == {"type": "string"}


def test_only_served_versions_become_schemas() -> None:
    assert list(cs.schemas_of(crd("widgets.example.io", SCHEMA))) == ["example.io/widget_v1.json"]
    with pytest.raises(cs.ConversionError, match="no served version"):
        cs.schemas_of(crd("widgets.example.io", SCHEMA, served=False))


def test_build_and_tidy(tmp_path: Path) -> None:
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "example.io_widgets.yaml").write_text(yaml.safe_dump(crd("widgets.example.io", SCHEMA)))
    stripped = crd("applicationsets.argoproj.io", SCHEMA)
    (crds / "argoproj.io_applicationsets.yaml").write_text(yaml.safe_dump(stripped))
    assert cs.tidy(crds) == [crds / "argoproj.io_applicationsets.yaml"]
    tidied = yaml.safe_load((crds / "argoproj.io_applicationsets.yaml").read_text())
    assert "description" not in json.dumps(tidied).replace('"description": {', "")
    out = tmp_path / "schemas"
    (out / "stale").mkdir(parents=True)
    assert cs.build(crds, out) == {
        "argoproj.io_applicationsets.yaml": 1,
        "example.io_widgets.yaml": 1,
    }
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json")) == [
        "example.io/widget_v1.json"
    ]
    assert not (out / "stale").exists()


def test_a_folder_without_crds_is_an_error(tmp_path: Path) -> None:
    assert cs.main(["--crds", str(tmp_path), "--out", str(tmp_path / "out")]) == 1


# -- what `make schemas` generated from the pinned upstream modules -------------------------------


def generated(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make schemas` (make test does)", pytrace=False)
    return path


def test_generated_crds_are_the_kinds_the_trees_use() -> None:
    names = sorted(p.name for p in generated(CRDS).glob("*.yaml"))
    for expected in (
        "argoproj.io_applications.yaml",
        "argoproj.io_applicationsets.yaml",
        "argoproj.io_appprojects.yaml",
        "helm.toolkit.fluxcd.io_helmreleases.yaml",
        "kustomize.toolkit.fluxcd.io_kustomizations.yaml",
        "snapshot.storage.k8s.io_volumesnapshotclasses.yaml",
        "snapshot.storage.k8s.io_volumesnapshotcontents.yaml",
        "snapshot.storage.k8s.io_volumesnapshots.yaml",
        "source.toolkit.fluxcd.io_gitrepositories.yaml",
        "source.toolkit.fluxcd.io_helmrepositories.yaml",
        "source.toolkit.fluxcd.io_ocirepositories.yaml",
    ):
        assert expected in names


@pytest.mark.tools
def test_generated_schemas_are_strict() -> None:
    schema = json.loads(
        (generated(SCHEMAS) / "helm.toolkit.fluxcd.io" / "helmrelease_v2.json").read_text()
    )
    assert schema["additionalProperties"] is False
    assert schema["properties"]["spec"]["additionalProperties"] is False
    values = schema["properties"]["spec"]["properties"]["values"]
    assert values.get("x-kubernetes-preserve-unknown-fields") is True
    assert "additionalProperties" not in values


def test_applicationset_crd_has_no_descriptions() -> None:
    text = (generated(CRDS) / "argoproj.io_applicationsets.yaml").read_text()
    assert "description: " not in text.replace("description:\n", "")


def test_snapshot_crds_are_the_v1_api_without_the_approval_annotation() -> None:
    """controller-gen over external-snapshotter's client/v8 API: v1 only, cluster-scoped class,
    and (unlike upstream's published copies) no api-approved.kubernetes.io annotation, which the
    e2e install adds (tests/e2e/crds.py)."""
    path = generated(CRDS) / "snapshot.storage.k8s.io_volumesnapshotclasses.yaml"
    crd = yaml.safe_load(path.read_text())
    assert [v["name"] for v in crd["spec"]["versions"] if v["served"]] == ["v1"]
    assert crd["spec"]["scope"] == "Cluster"
    assert "api-approved.kubernetes.io" not in crd["metadata"].get("annotations", {})
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert schema["required"] == ["deletionPolicy", "driver"]
    assert schema["properties"]["deletionPolicy"]["enum"] == ["Delete", "Retain"]
