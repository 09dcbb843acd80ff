"""The one exception -> exit-code map (generator/cli/app.py): 0 ok, 1 input or drift, 2 usage,
3 a bug, reported in one line with a request to report it, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.render
import generator.values.fleet
from generator.cli import cli
from generator.errors import RenderError


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_an_unexpected_exception_exits_3_with_one_line(
    values_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(paths: object, extra: object = None) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(generator.values.fleet, "load_valid", broken)
    code, stdout, stderr = run("render", str(values_file))
    assert code == 3
    assert stdout == ""
    assert stderr.splitlines() == [
        "nfs-gitops: ZeroDivisionError: boom [internal]; this is a bug in nfs-gitops, not in "
        "your input: please report it with the command, this line and `nfs-gitops --version`"
    ]


def test_a_render_error_is_a_bug_too(values_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(template: str, context: object) -> str:
        raise RenderError(f"template {template}:1: broken")

    monkeypatch.setattr(generator.render, "render_template", failing)
    code, _, stderr = run("render", str(values_file), "--output-dir", "out")
    assert code == 3
    assert "[render]; this is a bug in nfs-gitops" in stderr
    assert list(Path("out").glob("*/*.yaml")) == []  # no tree file written


def test_usage_errors_take_one_path_under_json(tmp_path: Path) -> None:
    # click's own usage error (a bad option value) and nfs-gitops's (nothing to render).
    code, stdout, _ = run("render", "--format", "json", "--lock-timeout", "nan", str(tmp_path))
    assert code == 2
    (click_entry,) = json.loads(stdout)
    code, stdout, _ = run("render", "--format", "json", str(tmp_path))
    assert code == 2
    (own_entry,) = json.loads(stdout)
    assert click_entry.keys() == own_entry.keys()
    assert click_entry["code"] == own_entry["code"] == "usage"
    assert "nan is not a finite number" in click_entry["message"]


def test_usage_errors_in_text_are_clicks(tmp_path: Path) -> None:
    code, stdout, stderr = run("render", "--lock-timeout", "nan", str(tmp_path))
    assert code == 2
    assert stderr.startswith("Usage: ")
    assert stdout == ""


def test_invalid_values_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cluster: x\n")
    code, _, stderr = run("validate", str(bad))
    assert code == 1
    assert "[schema-required]" in stderr
