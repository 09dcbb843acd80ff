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


# What a test marked `tools` needs; make test installs each (tools, schemas) before pytest runs.
TOOLS = {
    "bin/kubeconform": "make tools",
    "bin/kustomize": "make tools",
    ".cache/schemas/.stamp": "make schemas",
    ".cache/schemas/crds/.stamp": "make schemas",
}


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A `tools` test without its tools fails, loudly, naming what to run: never a skip."""
    if item.get_closest_marker("tools") is None:
        return
    missing = [
        f"{path} (run `{how}`)" for path, how in TOOLS.items() if not (ROOT / path).is_file()
    ]
    if missing:
        pytest.fail(f"missing for a `tools` test: {', '.join(missing)}; make test installs them")


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
