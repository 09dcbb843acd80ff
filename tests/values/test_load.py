from __future__ import annotations

import pytest

from generator.errors import InvalidValues
from generator.values.document import format_path
from generator.values.load import MAX_FILE_BYTES, load_bytes


def problems(text: bytes | str) -> list[str]:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(InvalidValues) as info:
        load_bytes(raw, "v.yaml")
    return [str(p) for p in info.value.problems]


def test_positions_point_at_values_and_keys() -> None:
    doc = load_bytes(b"cluster: a\nnfs:\n  server: x\n  mountOptions: [hard, nolock]\n", "v.yaml")
    assert doc.data == {"cluster": "a", "nfs": {"server": "x", "mountOptions": ["hard", "nolock"]}}
    assert doc.positions[("nfs", "server")] == (3, 11)
    assert doc.key_positions[("nfs", "server")] == (3, 3)
    assert doc.positions[("nfs", "mountOptions", 1)] == (4, 24)
    # A missing path is located at its nearest ancestor.
    assert doc.locate(("nfs", "path")) == (3, 3)


def test_duplicate_keys_are_all_reported_with_first_line() -> None:
    found = problems("cluster: a\nnfs: {}\ncluster: b\nnfs: {}\n")
    assert found == [
        "v.yaml:3:1: cluster: duplicate key (first defined at line 1) [yaml-duplicate-key]",
        "v.yaml:4:1: nfs: duplicate key (first defined at line 2) [yaml-duplicate-key]",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"", "v.yaml:1:1: (root): file is empty"),
        (b"# only a comment\n", "v.yaml:1:1: (root): file is empty"),
        (b"- a\n- b\n", "v.yaml:1:1: (root): top level must be a mapping"),
        (b"plain text", "v.yaml:1:1: (root): top level must be a mapping"),
        (b"a: 1\n---\nb: 2\n", "v.yaml:3:1: (root): only one YAML document is allowed"),
        (b"a: [1\nb: 2\n", "v.yaml:2:2: (root): invalid YAML"),
        (b"cluster: ok\nnfs: caf\xe9\n", "v.yaml:2:9: (root): file is not valid UTF-8"),
        (b"a: !!binary aGVsbG8=\n", "v.yaml:1:4: a: unsupported YAML tag"),
        (b"a: !custom x\n", "v.yaml:1:4: a: unsupported YAML tag"),
        (b"base: &b {x: 1}\nc:\n  <<: *b\n", "v.yaml:3:3: c: merge keys (<<) are not supported"),
        (b"? [a]\n: 1\n", "v.yaml:1:3: (root): keys must be strings"),
        (b"1: a\n", "v.yaml:1:1: (root): keys must be strings"),
    ],
)
def test_refused_files(text: bytes, expected: str) -> None:
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith(expected), found[0]


def test_timestamps_stay_text_and_bom_is_accepted() -> None:
    doc = load_bytes("\ufeffwhen: 2026-11-26\nflag: true\nn: 3\nnothing: null\n".encode(), "v")
    assert doc.data == {"when": "2026-11-26", "flag": True, "n": 3, "nothing": None}


def test_alias_bomb_is_refused_without_expanding() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 10)}]")
    found = problems("\n".join(lines) + "\n")
    assert "more than 10000 values" in found[0]
    assert found[0].endswith("[limit-nodes]")


def test_oversized_file_is_refused() -> None:
    found = problems(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    assert found == [
        f"v.yaml:1:1: (root): file is larger than {MAX_FILE_BYTES} bytes; refused [file-too-large]"
    ]


def test_format_path_quotes_odd_keys() -> None:
    assert format_path(()) == "(root)"
    assert format_path(("nfs", "mountOptions", 2)) == "nfs.mountOptions[2]"
    assert format_path(("nodeSelector", "kubernetes.io/os")) == 'nodeSelector["kubernetes.io/os"]'
    assert format_path(("a\nb",)) == '["a\\nb"]'
