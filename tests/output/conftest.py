"""Fixtures shared by the tests of the output stage."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository layout (values/, output/) as the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "values").mkdir()
    return tmp_path
