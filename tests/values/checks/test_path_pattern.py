from __future__ import annotations

import pytest

from generator.values.checks.path_pattern import path_pattern_error


@pytest.mark.parametrize(
    "pattern",
    [
        "${.PVC.namespace}/${.PVC.name}",
        "${.PVC.labels.app.kubernetes.io/name}",
        "${.PVC.annotations.nfs.io/dir}",
        "static-dir",
    ],
)
def test_good_path_patterns(pattern: str) -> None:
    assert path_pattern_error(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("${.PVC.uid}", "unknown field ${.PVC.uid}"),
        ("${.PV.name}", "unknown field"),
        ("../${.PVC.name}", "'..'"),
        ("${.PVC.namespace}/../../etc", "'..'"),
        ("/abs/${.PVC.name}", "no leading /"),
        ("a//b", "empty path segments"),
        ("$HOME/x", "outside a ${.PVC...} field"),
        ("${.PVC.labels.}", "unknown field"),
        ("${.PVC.labels.bad key}", "not a valid label or annotation key"),
        ("", "must not be empty"),
    ],
)
def test_bad_path_patterns(pattern: str, fragment: str) -> None:
    message = path_pattern_error(pattern)
    assert message is not None and fragment in message
