"""devtools/k8s_schemas.py: kubernetes-validate's schemas made self-contained for kubeconform."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from devtools import k8s_schemas as ks
from generator.schema import kubernetes_versions

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "schemas"
DEFS = "/api/_definitions.json#/$defs/"

DEFINITIONS: dict[str, Any] = {
    "$id": "https://kubernetes.io/api/_definitions.json",
    "$defs": {
        "meta.ObjectMeta": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "ownerReferences": {"type": "array", "items": {"$ref": "#/$defs/meta.OwnerRef"}},
            },
        },
        "meta.OwnerRef": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "owner": {"$ref": "#/$defs/meta.OwnerRef"}},
        },
        "unused.Thing": {"type": "string"},
    },
}

STORAGECLASS: dict[str, Any] = {
    "$id": "https://kubernetes.io/api/storageclass/storage/v1",
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["provisioner"],
    "x-kubernetes-group-version-kind": [
        {"group": "storage.k8s.io", "kind": "StorageClass", "version": "v1"}
    ],
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"$ref": DEFS + "meta.ObjectMeta"},
        "provisioner": {"type": "string"},
        "parameters": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
    },
}

# A component type, not a resource: kubeconform never looks it up.
SPEC: dict[str, Any] = {"type": "object", "properties": {"x": {"$ref": DEFS + "unused.Thing"}}}


def package_files() -> dict[str, bytes]:
    return {
        "_definitions.json": json.dumps(DEFINITIONS).encode(),
        "storageclass-storage-v1.json": json.dumps(STORAGECLASS).encode(),
        "daemonsetspec-apps-v1.json": json.dumps(SPEC).encode(),
        "all.json": json.dumps({"oneOf": [{"$ref": DEFS + "unused.Thing"}]}).encode(),
    }


def all_refs(node: Any) -> list[str]:
    return list(ks.refs(node))


def test_definition_names_from_both_ref_forms() -> None:
    assert ks.definition_name(DEFS + "io.k8s.api.core.v1.Pod") == "io.k8s.api.core.v1.Pod"
    assert ks.definition_name("#/$defs/io.k8s.api.core.v1.Pod") == "io.k8s.api.core.v1.Pod"


@pytest.mark.parametrize(
    "ref", ["https://example.com/x.json", "#/$defs/", "#/$defs/a/b", "#/definitions/a"]
)
def test_unknown_ref_forms_stop_the_conversion(ref: str) -> None:
    with pytest.raises(ks.ConversionError, match="unexpected \\$ref"):
        ks.definition_name(ref)


def test_closure_follows_refs_through_definitions_and_survives_cycles() -> None:
    assert ks.closure(STORAGECLASS, DEFINITIONS["$defs"]) == ["meta.ObjectMeta", "meta.OwnerRef"]


def test_closure_of_an_undefined_definition_fails() -> None:
    schema = {"properties": {"a": {"$ref": DEFS + "missing.Type"}}}
    with pytest.raises(ks.ConversionError, match=r"missing\.Type"):
        ks.closure(schema, DEFINITIONS["$defs"])


def test_standalone_schema_is_self_contained() -> None:
    result = ks.standalone(STORAGECLASS, DEFINITIONS["$defs"])
    assert "$id" not in result
    assert set(result["$defs"]) == {"meta.ObjectMeta", "meta.OwnerRef"}
    assert all_refs(result)  # refs are kept, only rewritten
    assert all(ref.startswith("#/$defs/") for ref in all_refs(result))
    assert all(ref[len("#/$defs/") :] in result["$defs"] for ref in all_refs(result))
    assert STORAGECLASS["$id"]  # the input is not modified
    assert STORAGECLASS["properties"]["metadata"]["$ref"].startswith(DEFS)


def test_standalone_schema_validates_without_network() -> None:
    validator = Draft202012Validator(ks.standalone(STORAGECLASS, DEFINITIONS["$defs"]))
    good = {"provisioner": "p", "metadata": {"name": "x", "ownerReferences": [{"name": "o"}]}}
    assert list(validator.iter_errors(good)) == []
    assert not validator.is_valid({**good, "parameters": {"archiveOnDelete": True}})
    assert not validator.is_valid({**good, "metadata": {"nmae": "typo"}})
    assert not validator.is_valid({"metadata": {"name": "x"}})  # provisioner is required


def test_convert_version_keeps_resources_only() -> None:
    out = ks.convert_version(package_files())
    assert list(out) == ["storageclass-storage-v1.json"]
    assert "$id" not in json.loads(out["storageclass-storage-v1.json"])


def test_convert_version_needs_the_definitions() -> None:
    files = package_files()
    del files["_definitions.json"]
    with pytest.raises(ks.ConversionError, match=r"_definitions\.json is missing"):
        ks.convert_version(files)


def test_convert_version_without_resources_fails() -> None:
    files = package_files()
    del files["storageclass-storage-v1.json"]
    with pytest.raises(ks.ConversionError, match="no resource schemas"):
        ks.convert_version(files)


def make_wheel(path: Path, versions: tuple[str, ...] = ("1.36", "1.37")) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for version in versions:
            for name, data in package_files().items():
                archive.writestr(f"{ks.source_dir(version)}/{name}", data)
            # The non-strict flavour is not used.
            archive.writestr(
                f"{ks.PACKAGE_DIR}/v{version}.0-local/storageclass-storage-v1.json", b"{}"
            )
    return path


def test_build_writes_kubeconform_layout_and_replaces_old_files(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "kv.whl")
    out = tmp_path / "schemas"
    stale = out / "v1.37.0-standalone-strict" / "stale-v1.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    assert ks.build(wheel, out, ["1.36", "1.37"]) == {"1.36": 1, "1.37": 1}
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json")) == [
        "v1.36.0-standalone-strict/storageclass-storage-v1.json",
        "v1.37.0-standalone-strict/storageclass-storage-v1.json",
    ]
    assert not list(out.glob(".staging-*"))


def test_build_of_a_version_the_wheel_lacks_fails(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "kv.whl")
    with pytest.raises(ks.ConversionError, match=r"no schemas for Kubernetes 1\.30"):
        ks.build(wheel, tmp_path / "out", ["1.30"])


def test_build_rejects_a_version_that_is_not_a_minor(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "kv.whl")
    with pytest.raises(ks.ConversionError, match="not a Kubernetes minor"):
        ks.build(wheel, tmp_path / "out", ["1.37.0"])


def test_main_reports_counts_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wheel = make_wheel(tmp_path / "kv.whl")
    out = tmp_path / "out"
    assert ks.main(["--wheel", str(wheel), "--out", str(out), "1.37"]) == 0
    assert capsys.readouterr().out == f"{out}/v1.37.0-standalone-strict: 1 schemas\n"
    assert ks.main(["--wheel", str(tmp_path / "missing.whl"), "--out", str(out), "1.37"]) == 1
    assert capsys.readouterr().err.startswith("k8s_schemas: ")


# -- the real cache that make schemas built (make test builds it first) -------------------------


@pytest.fixture(scope="module")
def cache() -> Path:
    if not (CACHE / ".stamp").is_file():
        pytest.fail(f"{CACHE} is missing: run `make schemas` (make test does)")
    return CACHE


@pytest.mark.tools
@pytest.mark.parametrize("version", kubernetes_versions())
def test_cached_schemas_are_self_contained(cache: Path, version: str) -> None:
    folder = cache / ks.target_dir(version)
    for name in ("daemonset-apps-v1.json", "storageclass-storage-v1.json", "namespace-v1.json"):
        schema = json.loads((folder / name).read_text())
        assert "$id" not in schema
        refs = all_refs(schema)
        assert all(ref.startswith("#/$defs/") for ref in refs), name
        assert {ref[len("#/$defs/") :] for ref in refs} <= set(schema["$defs"]), name


def cached_validator(cache: Path, name: str) -> Draft202012Validator:
    folder = cache / ks.target_dir(kubernetes_versions()[-1])
    return Draft202012Validator(json.loads((folder / name).read_text()))


@pytest.mark.tools
def test_cached_storageclass_schema_checks_the_rendered_storageclass(cache: Path) -> None:
    validator = cached_validator(cache, "storageclass-storage-v1.json")
    storageclass = yaml.safe_load((ROOT / "output/homelab/storageclass.yaml").read_text())
    assert list(validator.iter_errors(storageclass)) == []
    storageclass["parameters"]["archiveOnDelete"] = True
    assert not validator.is_valid(storageclass)


@pytest.mark.tools
def test_cached_daemonset_schema_resolves_its_definitions_offline(cache: Path) -> None:
    validator = cached_validator(cache, "daemonset-apps-v1.json")
    docs = yaml.safe_load_all((ROOT / "output/homelab/node-installer.yaml").read_text())
    daemonset = next(doc for doc in docs if doc and doc["kind"] == "DaemonSet")
    assert list(validator.iter_errors(daemonset)) == []
    daemonset["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = 1
    assert not validator.is_valid(daemonset)
