from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from jsonschema import Draft202012Validator

from generator.cli import cli
from tests.conftest import MINIMAL, ROOT


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_schema_prints_a_valid_draft_2020_12_schema() -> None:
    code, out, _ = run("schema")
    assert code == 0
    schema = json.loads(out)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False


def test_every_property_is_described_and_defaulted_or_required() -> None:
    schema = json.loads(run("schema")[1])

    def walk(node: dict[str, object], path: str, required: list[str]) -> list[str]:
        missing = []
        properties = node.get("properties", {})
        assert isinstance(properties, dict)
        for key, sub in properties.items():
            where = f"{path}.{key}".lstrip(".")
            if "description" not in sub:
                missing.append(f"{where}: no description")
            if "default" not in sub and key not in required:
                missing.append(f"{where}: no default")
            missing += walk(sub, where, sub.get("required", []))
        return missing

    # One of nfs and exports is required (generator/values/checks/exports.py: one_form); the
    # export items ($defs) are walked too.
    assert walk(schema, "", [*schema["required"], "nfs", "exports"]) == []
    assert walk(schema["$defs"]["export"], "exports[]", schema["$defs"]["export"]["required"]) == []
    export_class = schema["$defs"]["exportStorageClass"]
    assert walk(export_class, "exports[].storageClass", []) == []


def test_validate_ok_and_problems(values_file: Path) -> None:
    code, _, err = run("validate", str(values_file))
    assert (code, err) == (
        0,
        "1 values file(s) valid\n"
        "note: homelab: nfs-client becomes the default StorageClass; remove the default "
        "annotation from any other class (k3s local-path, a cloud's default): README, \"Another "
        'default class"\n',
    )
    values_file.write_text(MINIMAL + "storageClass:\n  default: false\n")
    assert run("validate", str(values_file))[2] == "1 values file(s) valid\n"
    bad = values_file.with_name("bad.yaml")
    bad.write_text(MINIMAL.replace("192.168.169.3", "999.1.1.1") + "storageclass: {}\n")
    code, _, err = run("validate", str(values_file), str(bad))
    assert code == 1
    assert err.splitlines() == [
        "bad.yaml:3:11: nfs.server: '999.1.1.1' is not a valid IPv4 address (each octet is 0 to "
        "255) [nfs-server]",
        "bad.yaml:5:1: storageclass: unknown key \"storageclass\"; did you mean 'storageClass'? "
        "[schema-unknown-key]",
        "nfs-gitops: 2 problem(s); nothing written",
    ]


def test_usage_errors_exit_2(values_file: Path) -> None:
    assert run("render")[0] == 2
    assert run("render", str(values_file), "--bogus")[0] == 2
    assert run("nope")[0] == 2


def test_missing_values_file_is_a_located_problem(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path / "absent.yaml"))
    assert code == 1
    assert (
        "absent.yaml:1:1: (root): cannot read: No such file or directory [file-unreadable]" in err
    )


def test_render_then_check(values_file: Path) -> None:
    out = values_file.parent / "output"
    code, _, err = run("render", str(values_file), "--output-dir", str(out))
    assert code == 0, err
    tree = out / "homelab"
    assert len(list(tree.iterdir())) == 10
    assert run("render", "--check", str(values_file), "--output-dir", str(out))[0] == 0
    # A mutable field: an immutable one would be refused by the guard (tests/output/test_guard.py).
    storage_class = tree / "storageclass.yaml"
    storage_class.write_text(
        storage_class.read_text().replace(
            "allowVolumeExpansion: false", "allowVolumeExpansion: true"
        )
    )
    code, out_text, err = run("render", "--check", str(values_file), "--output-dir", str(out))
    assert code == 1
    assert "-allowVolumeExpansion: true\n+allowVolumeExpansion: false\n" in out_text
    assert "output is stale" in err
    assert "allowVolumeExpansion: true" in storage_class.read_text(), "--check writes nothing"


def test_python_dash_m_and_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generator", "--version"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0
    assert result.stdout.startswith("nfs-gitops, version ")


def test_committed_homelab_output_is_current(at_root: Path) -> None:
    code, out, _ = run("render", "--check", "values/homelab.yaml")
    assert code == 0, out
