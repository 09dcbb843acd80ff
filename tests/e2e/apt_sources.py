"""The Debian mirror this machine's apt is configured with (/etc/apt/sources.list*).

The node installer's e2e test builds its Debian root filesystem from that mirror, so it reaches
the same mirror (or proxy) as the machine's own apt-get, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

APT = Path("/etc/apt")


def source_files(apt: Path = APT) -> list[Path]:
    """sources.list, then sources.list.d/*.list and *.sources in name order, as apt reads them."""
    files = [apt / "sources.list"] if (apt / "sources.list").is_file() else []
    parts = apt / "sources.list.d"
    if parts.is_dir():
        files += sorted(p for p in parts.iterdir() if p.suffix in (".list", ".sources"))
    return files


def _one_line(text: str, suite: str) -> Iterator[str]:
    """`deb [options] URI SUITE COMPONENT...` lines (the classic format)."""
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2 and words[1] == suite:
            yield words[0]


def _stanzas(text: str) -> Iterator[dict[str, str]]:
    """deb822 stanzas (the .sources format): `Key: value`, continuation lines start with space."""
    fields: dict[str, str] = {}
    key = ""
    for line in [*text.splitlines(), ""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if fields:
                yield fields
            fields, key = {}, ""
        elif line[0].isspace() and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            key = key.strip().lower()
            fields[key] = value.strip()


def _deb822(text: str, suite: str) -> Iterator[str]:
    for fields in _stanzas(text):
        if fields.get("enabled", "yes").lower() == "no":
            continue
        if "deb" in fields.get("types", "").split() and suite in fields.get("suites", "").split():
            yield from fields.get("uris", "").split()


def mirrors(files: Iterable[Path], suite: str) -> list[str]:
    """Every URI that serves `suite` binary packages, in the order apt lists them."""
    found: list[str] = []
    for path in files:
        text = path.read_text(errors="replace")
        found += _deb822(text, suite) if path.suffix == ".sources" else _one_line(text, suite)
    return found
