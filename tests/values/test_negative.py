"""Every file in tests/negative/ is refused with exactly the messages its `# expect:` lines name."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli

NEGATIVE = Path(__file__).resolve().parents[1] / "negative"
CASES = sorted(NEGATIVE.glob("*.yaml"))


def expected(path: Path) -> list[str]:
    name = f"tests/negative/{path.name}"
    return [
        f"{name}:{line.removeprefix('# expect: ')}"
        for line in path.read_text().splitlines()
        if line.startswith("# expect: ")
    ]


def test_there_are_negative_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_negative_file(path: Path, at_root: Path, tmp_path: Path) -> None:
    want = expected(path)
    assert want, f"{path.name} has no '# expect:' line"
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["render", f"tests/negative/{path.name}", "--output-dir", str(out)]
    )
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[:-1] == want
    assert lines[-1] == f"nfs-gitops: {len(want)} problem(s); nothing written"
    assert not out.exists(), "a refused values file must write nothing"
