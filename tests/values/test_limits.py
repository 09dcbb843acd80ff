"""Each limit of the loader: refused quickly, with a message naming the limit, and a file just
inside the limit is still read."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.errors import InvalidValues
from generator.values.load import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, MAX_STRING_CHARS, load_bytes
from tests.conftest import MINIMAL

FAST = 2.0  # seconds; each refusal takes milliseconds, this only has to survive a busy machine


@contextmanager
def quickly() -> Iterator[None]:
    started = time.perf_counter()
    yield
    assert time.perf_counter() - started < FAST


def refusal(raw: bytes) -> str:
    with quickly(), pytest.raises(InvalidValues) as caught:
        load_bytes(raw, "v.yaml")
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


def test_limits_are_documented_values() -> None:
    """README and docs/errors.md quote these numbers."""
    assert (MAX_FILE_BYTES, MAX_NODES, MAX_DEPTH, MAX_STRING_CHARS) == (262144, 10000, 32, 4096)


# --- size ---------------------------------------------------------------------------------


def padded(size: int) -> bytes:
    """The minimal values file padded with a comment to exactly size bytes."""
    head = MINIMAL.encode()
    return head + b"#" * (size - len(head) - 1) + b"\n"


def test_file_at_the_size_limit_is_read() -> None:
    assert load_bytes(padded(MAX_FILE_BYTES), "v.yaml").data["cluster"] == "homelab"


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(padded(MAX_FILE_BYTES + 1))
    assert refusal(big.read_bytes()) == (
        "v.yaml:1:1: (root): file is larger than 262144 bytes; refused [file-too-large]"
    )


def test_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(2**33)  # 8 GiB, sparse: reading it all would take long and much memory
    with quickly():
        result = CliRunner().invoke(cli, ["validate", str(huge)])
    assert result.exit_code == 1
    assert "file is larger than 262144 bytes; refused [file-too-large]" in result.stderr


# --- values (alias bombs) -------------------------------------------------------------------


def bomb(levels: int, fan: int = 10) -> bytes:
    """Billion laughs: each level is a list of fan aliases of the level before."""
    lines = [b"l0: &l0 [" + b", ".join([b'"lol"'] * fan) + b"]"]
    for level in range(1, levels):
        aliases = b", ".join([b"*l%d" % (level - 1)] * fan)
        lines.append(b"l%d: &l%d [%s]" % (level, level, aliases))
    return MINIMAL.encode() + b"\n".join(lines) + b"\n"


def test_alias_bomb_is_refused_before_it_expands() -> None:
    # 10**9 values if expanded; refused after 10,000.
    problem = refusal(bomb(9))
    assert problem.endswith(
        f"(root): more than {MAX_NODES} values (alias expansion?); refused [limit-nodes]"
    )


def test_values_just_under_the_node_limit_are_read() -> None:
    # 3 levels of fan 20: 20 + 400 + 8,000 values, plus the minimal file's few.
    doc = load_bytes(bomb(3, fan=20), "v.yaml")
    assert len(doc.data["l2"]) == 20


# --- depth --------------------------------------------------------------------------------


def nested(depth: int) -> bytes:
    """A mapping nested depth levels below the top-level key."""
    lines = [b"  " * level + b"k:" for level in range(depth)]
    return MINIMAL.encode() + b"deep:\n" + b"\n".join(b"  " + line for line in lines) + b" 1\n"


def test_nesting_at_the_depth_limit_is_read() -> None:
    load_bytes(nested(MAX_DEPTH - 1), "v.yaml")


def test_nesting_over_the_depth_limit_is_refused() -> None:
    assert refusal(nested(MAX_DEPTH)).endswith(
        f"(root): nested deeper than {MAX_DEPTH} levels; refused [limit-depth]"
    )


def test_self_referencing_alias_is_refused_by_the_depth_limit() -> None:
    assert refusal(MINIMAL.encode() + b"loop: &a [*a]\n").endswith("[limit-depth]")


@pytest.mark.parametrize("opener", [b"[", b"{a: "])
def test_flow_nesting_to_the_size_limit_is_refused_quickly(opener: bytes) -> None:
    deep = b"x: " + opener * ((MAX_FILE_BYTES - 10) // len(opener))
    assert refusal(deep).endswith(f"nested deeper than {MAX_DEPTH} levels; refused [limit-depth]")


# --- string length ------------------------------------------------------------------------


def test_string_at_the_length_limit_is_read() -> None:
    doc = load_bytes(MINIMAL.encode() + b"x: " + b"a" * MAX_STRING_CHARS + b"\n", "v.yaml")
    assert len(doc.data["x"]) == MAX_STRING_CHARS


@pytest.mark.parametrize(
    ("raw", "what", "where"),
    [
        (b"namespace: " + b"a" * (MAX_STRING_CHARS + 1), "value", "3:12: namespace"),
        (b'namespace: "' + b"a" * (MAX_STRING_CHARS + 1) + b'"', "value", "3:12: namespace"),
        (b"namespace: |\n  " + b"a" * (MAX_STRING_CHARS + 1), "value", "3:12: namespace"),
        (b"namespace: " + b"9" * (MAX_STRING_CHARS + 1), "value", "3:12: namespace"),
        (b"? " + b"k" * (MAX_STRING_CHARS + 1) + b"\n: 1", "key", "3:3: (root)"),
    ],
    ids=["plain", "quoted", "block", "number", "key"],
)
def test_long_strings_numbers_and_keys_are_refused(raw: bytes, what: str, where: str) -> None:
    text = b"cluster: homelab\nnfs: {server: nas, path: /d}\n" + raw + b"\n"
    problem = refusal(text)
    assert problem.startswith(f"v.yaml:{where}")
    assert problem.endswith(
        f"{what} longer than {MAX_STRING_CHARS} characters; refused [limit-string]"
    )
