"""Where the real-engine tests get the charts: E2E_CHARTS, else each chart's repository online;
offline they fail saying what to pass. The loopback repository serves every driver's chart."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
import yaml

from .engines import chart_pin, chart_pins
from .servers import ChartPin, ChartsError, chart_archives

SUBDIR = ChartPin("nfs-subdir-external-provisioner", "https://unused.invalid/", "4.0.18")


def test_pin_is_the_defaults_chart_version() -> None:
    pin = chart_pin()
    assert pin.chart == "nfs-subdir-external-provisioner"
    assert pin.repository.startswith("https://")
    assert pin.version == "4.0.18"


def test_a_charts_folder_without_the_pinned_archive_is_refused(helm: Path, tmp_path: Path) -> None:
    (tmp_path / "nfs-subdir-external-provisioner-4.0.17.tgz").write_bytes(b"")
    with pytest.raises(
        ChartsError, match=r"holds no nfs-subdir-external-provisioner-4\.0\.18\.tgz"
    ):
        chart_archives(helm, tmp_path, [SUBDIR], tmp_path / "work")


def test_without_charts_and_unreachable_repository_says_what_to_pass(
    helm: Path,
    tmp_path: Path,
) -> None:
    # Port 9 (discard) on loopback: nothing listens, as when offline.
    unreachable = ChartPin(SUBDIR.chart, "http://127.0.0.1:9/", SUBDIR.version)
    with pytest.raises(ChartsError, match=r"make e2e E2E_CHARTS=/path/to/charts"):
        chart_archives(helm, None, [unreachable], tmp_path)


def test_the_loopback_repository_indexes_every_drivers_chart(
    helm: Path, helm_repo: str, tmp_path: Path
) -> None:
    """index.yaml lists each driver's chart at its pin, and helm pulls each one from it."""

    with urllib.request.urlopen(f"{helm_repo}/index.yaml", timeout=10) as answer:
        index = yaml.safe_load(answer.read())
    listed = {name: [e["version"] for e in entries] for name, entries in index["entries"].items()}
    pins = chart_pins()
    assert {pin.chart for pin in pins} >= {"nfs-subdir-external-provisioner"}
    assert listed == {pin.chart: [pin.version] for pin in pins}
    for pin in pins:
        pulled = chart_archives(
            helm, None, [ChartPin(pin.chart, helm_repo, pin.version)], tmp_path / pin.chart
        )
        assert pulled[0].is_file() and pulled[0].stat().st_size > 1000, pulled
