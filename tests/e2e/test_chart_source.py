"""Where the real-engine tests get the chart: E2E_CHARTS, else its repository online; offline
they fail saying what to pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from .engines import chart_pin
from .servers import CHART, ChartsError, chart_archives


def test_pin_is_the_defaults_chart_version() -> None:
    repository, version = chart_pin()
    assert repository.startswith("https://")
    assert version == "4.0.18"


def test_a_charts_folder_without_the_pinned_archive_is_refused(helm: Path, tmp_path: Path) -> None:
    (tmp_path / f"{CHART}-4.0.17.tgz").write_bytes(b"")
    with pytest.raises(ChartsError, match=rf"holds no {CHART}-4\.0\.18\.tgz"):
        chart_archives(helm, tmp_path, "https://unused.invalid/", "4.0.18", tmp_path / "work")


def test_without_charts_and_unreachable_repository_says_what_to_pass(
    helm: Path,
    tmp_path: Path,
) -> None:
    # Port 9 (discard) on loopback: nothing listens, as when offline.
    with pytest.raises(ChartsError, match=r"make e2e E2E_CHARTS=/path/to/charts"):
        chart_archives(helm, None, "http://127.0.0.1:9/", "4.0.18", tmp_path)
