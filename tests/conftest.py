from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """\
cluster: homelab
nfs:
  server: 192.168.169.3
  path: /data/K8s
"""


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run from the repository root, as make does, so headers name values files the same way."""
    monkeypatch.chdir(ROOT)
    yield ROOT


@pytest.fixture
def values_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A minimal values file in a temporary working directory."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "values.yaml"
    path.write_text(MINIMAL)
    return path
