"""The e2e harness finds the Debian mirror this machine's apt uses (tests/e2e/apt_sources.py)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.apt_sources import mirrors, source_files


def test_both_formats_in_apt_order(tmp_path: Path) -> None:
    apt = tmp_path / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    (apt / "sources.list").write_text(
        "# a comment\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main # cut\n"
        "deb http://old.example/debian bullseye main\n"
    )
    (apt / "sources.list.d" / "b.sources").write_text(
        "Types: deb\n"
        "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
        "URIs: http://two.example/debian\n"
        "  http://three.example/debian\n"
        "Suites: bookworm bookworm-updates\n"
        "Components: main\n"
        "\n"
        "Types: deb\n"
        "URIs: http://security.example/debian-security\n"
        "Suites: bookworm-security\n"
        "\n"
        "Enabled: no\n"
        "Types: deb\n"
        "URIs: http://off.example/debian\n"
        "Suites: bookworm\n"
    )
    (apt / "sources.list.d" / "a.list").write_text("deb http://zero.example/debian bookworm main\n")
    (apt / "sources.list.d" / "c.list.disabled").write_text("deb http://x.example bookworm main\n")
    files = source_files(apt)
    assert [f.name for f in files] == ["sources.list", "a.list", "b.sources"]
    assert mirrors(files, "bookworm") == [
        "http://one.example/debian",
        "http://zero.example/debian",
        "http://two.example/debian",
        "http://three.example/debian",
    ]
    assert mirrors(files, "bullseye") == ["http://old.example/debian"]
    assert mirrors(files, "trixie") == []


def test_no_apt_folder(tmp_path: Path) -> None:
    assert source_files(tmp_path / "missing") == []
