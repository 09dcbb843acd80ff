"""The README's promises stay true: the values reference matches the schema, commands exist."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from devtools.values_reference import END, START, refreshed
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_values_reference_is_generated_from_the_current_schema() -> None:
    schema = json.loads((ROOT / "generator" / "values.schema.json").read_text())
    assert START in README and END in README
    assert refreshed(README, schema) == README, "README values reference is stale: run make docs"


def test_every_schema_key_is_in_the_reference() -> None:
    schema = json.loads((ROOT / "generator" / "values.schema.json").read_text())
    for key in schema["properties"]:
        assert f"| `{key}` |" in README


def test_make_targets_named_in_the_readme_exist() -> None:
    help_text = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    targets = set(re.findall(r"^\s+(\S+)\s", help_text, flags=re.M))
    named = set(re.findall(r"(?:`|^\s+)make ([a-z][a-z0-9-]*)", README, flags=re.M))
    assert named, "the README names make targets"
    assert named <= targets, f"README names targets make help lacks: {sorted(named - targets)}"


def test_cli_commands_named_in_the_readme_exist() -> None:
    from click.testing import CliRunner

    from generator.cli import cli

    named = set(re.findall(r"(?:`|^\s+)nfs-gitops ([a-z][a-z-]+)", README, flags=re.M))
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = set(re.findall(r"^  ([a-z][a-z-]+)\s", result.output, flags=re.M))
    assert named <= commands, f"README names commands the CLI lacks: {sorted(named - commands)}"
    assert Path(ROOT / "values" / "homelab.yaml").is_file()
