"""--format text|github|json: exact output of the one reporter Cli.invoke uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.errors import DriftError, Entry, InvalidValues, OutputError, Problem
from generator.report import entries, escape_data, escape_property, github
from tests.conftest import MINIMAL

BAD = MINIMAL.replace("192.168.169.3", "999.1.1.1") + "extra: 1\n"
SERVER = "'999.1.1.1' is not a valid IPv4 address (each octet is 0 to 255)"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner(env=env).invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def bad_file(values_file: Path) -> Path:
    bad = values_file.with_name("bad.yaml")
    bad.write_text(BAD)
    return bad


def test_github_escaping() -> None:
    assert escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert escape_property("dir,a/b:c%\n") == "dir%2Ca/b%3Ac%25%0A"


def test_github_annotation_of_a_problem() -> None:
    entry = Entry(
        file="v,1.yaml", line=4, column=11, field="nfs.server", message="50%\nx", code="c"
    )
    assert github(entry) == "::error file=v%2C1.yaml,line=4,col=11,title=c::nfs.server: 50%25%0Ax"


def test_github_annotation_without_a_place() -> None:
    entry = Entry(message="a: b", code="output-locked")
    assert github(entry) == "::error title=output-locked::a: b"


def test_entries_of_each_error_kind() -> None:
    problem = Problem("v.yaml", 2, 3, "nfs", "bad", "nfs-path")
    assert entries(InvalidValues([problem])) == [
        Entry(file="v.yaml", line=2, column=3, field="nfs", message="bad", code="nfs-path")
    ]
    assert entries(OutputError("no", code="output-write", path="out/a.yaml")) == [
        Entry(file="out/a.yaml", message="no", code="output-write")
    ]
    drift = DriftError("stale", files={"o/b.yaml": "is missing", "o/a.yaml": "differs"})
    assert entries(drift) == [
        Entry(file="o/a.yaml", message="differs", code="drift"),
        Entry(file="o/b.yaml", message="is missing", code="drift"),
    ]


def test_text_is_the_default(bad_file: Path) -> None:
    code, stdout, stderr = run("validate", str(bad_file))
    assert (code, stdout) == (1, "")
    assert stderr.splitlines() == [
        f"bad.yaml:3:11: nfs.server: {SERVER} [nfs-server]",
        stderr.splitlines()[1],
        "nfs-gitops: 2 problem(s); nothing written",
    ]
    assert stderr.splitlines()[1].startswith('bad.yaml:5:1: extra: unknown key "extra"; ')


def test_github_format(bad_file: Path) -> None:
    code, stdout, stderr = run("validate", str(bad_file), "--format", "github")
    assert code == 1
    lines = stdout.splitlines()
    assert lines[0] == (
        f"::error file=bad.yaml,line=3,col=11,title=nfs-server::nfs.server: {SERVER}"
    )
    assert lines[1].startswith("::error file=bad.yaml,line=5,col=1,title=schema-unknown-key::")
    assert len(lines) == 2
    assert stderr == "nfs-gitops: 2 problem(s); nothing written\n"


def test_json_format(bad_file: Path) -> None:
    code, stdout, _ = run("render", str(bad_file), "--format", "json")
    assert code == 1
    found = json.loads(stdout)
    assert found[0] == {
        "file": "bad.yaml",
        "line": 3,
        "column": 11,
        "field": "nfs.server",
        "message": SERVER,
        "code": "nfs-server",
    }
    assert [item["code"] for item in found] == ["nfs-server", "schema-unknown-key"]


def test_json_format_when_all_is_well(values_file: Path) -> None:
    assert run("validate", str(values_file), "--format", "json")[:2] == (0, "[]\n")
    out = str(values_file.parent / "out")
    assert run("render", str(values_file), "--output-dir", out, "--format", "json")[:2] == (
        0,
        "[]\n",
    )


def test_format_from_the_environment(bad_file: Path) -> None:
    code, stdout, _ = run("validate", str(bad_file), env={"NFS_GITOPS_FORMAT": "github"})
    assert code == 1 and stdout.startswith("::error file=bad.yaml,line=3,")


def test_unknown_format_is_a_usage_error(values_file: Path) -> None:
    code, _, stderr = run("validate", str(values_file), "--format", "xml")
    assert code == 2 and "'xml' is not one of 'text', 'github', 'json'" in stderr


def test_drift_in_each_format(values_file: Path) -> None:
    out = values_file.parent / "out"
    assert run("render", str(values_file), "--output-dir", str(out))[0] == 0
    storage = out / "homelab" / "storageclass.yaml"
    storage.write_text(storage.read_text() + "# edited\n")
    (out / "homelab" / "namespace.yaml").unlink()
    check = ("render", "--check", str(values_file), "--output-dir", str(out))

    code, stdout, stderr = run(*check)
    assert code == 1 and "-# edited\n" in stdout
    hint = f"nfs-gitops render {values_file} --output-dir {out}"  # no Makefile needed
    assert stderr == f"nfs-gitops: output is stale for {out / 'homelab'}; run {hint} [drift]\n"

    code, stdout, stderr = run(*check, "--format", "json")
    assert code == 1 and "-# edited\n" in stderr, "the diff goes to stderr, stdout is JSON"
    assert json.loads(stdout) == [
        {
            "file": str(out / "homelab" / "namespace.yaml"),
            "line": None,
            "column": None,
            "field": None,
            "message": "is missing",
            "code": "drift",
        },
        {
            "file": str(storage),
            "line": None,
            "column": None,
            "field": None,
            "message": "differs from what the values render to",
            "code": "drift",
        },
    ]

    code, stdout, _ = run(*check, "--format", "github")
    assert code == 1
    annotations = [line for line in stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        f"::error file={out / 'homelab' / 'namespace.yaml'},title=drift::is missing",
        f"::error file={storage},title=drift::differs from what the values render to",
    ]


def test_help_lists_the_formats() -> None:
    for command in ("validate", "render"):
        code, stdout, _ = run(command, "--help")
        assert code == 0 and "--format [text|github|json]" in stdout
