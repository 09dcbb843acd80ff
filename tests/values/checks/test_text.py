from __future__ import annotations

from tests.values.checks.helpers import found


def test_control_characters_anywhere_are_refused() -> None:
    # Also the registry's order at one place: the name check comes before the text check.
    text = 'cluster: "a\\n"\nnfs: {path: "/x\\ty", "k\\u0085": v}\n'
    assert found(text) == [
        "1:10 cluster name-dns1123-label",
        "1:10 cluster control-characters",
        "2:13 nfs.path control-characters",
        '2:22 nfs["k\\u0085"] control-characters',
    ]
