"""docs/errors.md lists exactly the codes nfs-gitops can emit, each with a meaning and a fix."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from tests.error_catalogue import (
    CODE,
    documented_codes,
    documented_sections,
    emitted_codes,
)


def test_the_source_scan_finds_codes_of_every_kind() -> None:
    found = emitted_codes()
    # A problem code, a default code of an error class, a code chosen by `a if c else b`, a code
    # that is not the last argument, and a code only a check's declaration names.
    kinds = {"nfs-server", "yaml-duplicate-key", "drift", "output-not-file", "limit-string"}
    assert kinds | {"name-dns1123-label"} <= found.keys()
    assert found["name-dns1123-label"] == ["values/checks/names.py:kubernetes_names"]


def test_every_emitted_code_is_documented() -> None:
    emitted = emitted_codes()
    missing = {code: emitted[code] for code in sorted(emitted.keys() - documented_codes())}
    assert not missing, f"add these codes to docs/errors.md (code: where): {missing}"


def test_every_documented_code_is_still_emitted() -> None:
    # Against the codes found as emitted, not any string in the source: a code the scan cannot
    # see must fail here, not pass because its text appears somewhere.
    stale = sorted(documented_codes() - emitted_codes().keys())
    assert not stale, f"docs/errors.md documents codes nothing in generator/ emits: {stale}"


def test_every_entry_is_a_code_with_a_meaning_and_a_fix() -> None:
    sections = documented_sections()
    assert len(sections) >= 40
    for code, text in sections.items():
        assert CODE.match(code), code
        meaning, _, fix = text.partition("**Fix:**")
        assert meaning.strip() and fix.strip(), f"{code}: needs a meaning and a **Fix:** line"


def test_codes_reported_at_runtime_are_documented(at_root: Path, tmp_path: Path) -> None:
    cases = sorted(Path("tests/negative").glob("*.yaml"))
    assert cases
    out = tmp_path / "out"
    seen: set[str] = set()
    for case in cases:
        result = CliRunner().invoke(
            cli, ["render", str(case), "--output-dir", str(out), "--format", "json"]
        )
        assert result.exit_code in (1, 2), result.output
        if result.exit_code == 1:
            seen |= {entry["code"] for entry in json.loads(result.stdout)}
    assert len(seen) >= 10
    assert seen <= documented_codes(), seen - documented_codes()
