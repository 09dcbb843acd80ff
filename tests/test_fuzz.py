"""The fuzz target on a small budget (make fuzz runs it longer), and regressions it found."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tests.fuzz as fuzz
from generator.errors import InvalidValues, Problem
from generator.values.load import load_bytes
from generator.values.validate import validate
from tests.conftest import MINIMAL

# NFS_GITOPS_FUZZ_EXAMPLES raises the budget of these tests (make fuzz uses time instead).
EXAMPLES = fuzz.examples_from_env(25)


@pytest.mark.parametrize("kind", sorted(fuzz.INPUTS))
@fuzz.fuzz_settings(EXAMPLES)
@given(data=st.data())
def test_every_input_renders_or_is_refused_cleanly(
    kind: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    raw = data.draw(fuzz.INPUTS[kind], label="raw")
    fuzz.run_input(raw, tmp_path_factory.mktemp("out"))


def test_plausible_values_often_render() -> None:
    """The values strategy must reach render, or the fuzzing above proves little about it."""
    rendered = 0

    @fuzz.fuzz_settings(40)
    @given(raw=fuzz.INPUTS["values"])
    def count(raw: bytes) -> None:
        nonlocal rendered
        rendered += fuzz.exercise(raw) is not None

    count()
    assert rendered >= 4


def test_the_oracle_rejects_unlocated_and_undocumented_problems() -> None:
    def refused(problem: Problem) -> None:
        fuzz.check_refusal(b"a: 1\n", InvalidValues([problem]))

    refused(Problem(fuzz.NAME, 1, 1, "a", "bad", "nfs-server"))  # fine
    for bad in (
        Problem(fuzz.NAME, 0, 1, "a", "bad", "nfs-server"),
        Problem(fuzz.NAME, 3, 1, "a", "bad", "nfs-server"),
        Problem(fuzz.NAME, 1, 1, "a", "bad", "no-such-code"),
        Problem(fuzz.NAME, 1, 1, "a", "two\nlines", "nfs-server"),
    ):
        with pytest.raises(fuzz.Finding):
            refused(bad)


def test_the_oracle_notices_a_value_that_changed_on_the_way() -> None:
    files = fuzz.exercise(MINIMAL.encode())
    assert files is not None
    tampered = dict(files)
    tampered["helm-values.yaml"] = tampered["helm-values.yaml"].replace("/data/K8s", "/data/x")
    with pytest.raises(fuzz.Finding, match="nfs"):
        fuzz.check_rendered(tampered, _values(MINIMAL))


def _values(text: str) -> dict[str, object]:
    from generator.model import build_model

    doc = load_bytes(text.encode(), fuzz.NAME)
    return build_model(doc.data, doc.file).values


def test_driver_runs_for_its_budget_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    assert fuzz.main(["--seconds", "1", "--only", "limits", "--chunk", "20"]) == 0
    assert "no findings" in capsys.readouterr().err


def test_driver_fails_on_a_finding(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(raw: bytes, *, out: Path | None = None) -> None:
        raise fuzz.Finding("planted")

    monkeypatch.setattr(fuzz, "exercise", broken)
    assert fuzz.main(["--seconds", "5", "--only", "bytes", "--chunk", "5"]) == 1
    assert "FINDING" in capsys.readouterr().err


# --- regressions: inputs the fuzzer found ---------------------------------------------------


def refused(raw: bytes) -> list[str]:
    assert fuzz.exercise(raw) is None  # refused, and cleanly: located, documented, one line
    with pytest.raises(InvalidValues) as caught:
        validate(load_bytes(raw, fuzz.NAME))
    return [str(problem) for problem in caught.value.problems]


def test_control_character_is_located_on_one_line() -> None:
    # Was: 1:1 and a message continuing on a second line with the parser's internal position.
    assert refused(b"cluster: x\nnfs: a\x00b\n") == [
        "values/fuzz.yaml:2:7: (root): invalid YAML: character U+0000 is not allowed: "
        "control characters are not allowed [yaml-syntax]"
    ]


def test_control_character_after_multibyte_text_is_located_by_character() -> None:
    # libyaml reports a byte offset; the column counts characters.
    assert refused("a: éé\x01\n".encode())[0].startswith("values/fuzz.yaml:1:6: ")


def test_unclosed_bracket_at_end_of_file_is_located_inside_the_file() -> None:
    # Was: line 2 of a one-line file (libyaml puts the end of the stream on the next line).
    assert refused(b"[") == [
        "values/fuzz.yaml:1:2: (root): invalid YAML: did not find expected node content "
        "[yaml-syntax]"
    ]


def test_empty_document_at_end_of_file_is_located_inside_the_file() -> None:
    assert refused(b"---\n\n  ")[0].startswith("values/fuzz.yaml:3:3: (root): top level must be")


def test_empty_value_at_end_of_file_is_located_inside_the_file() -> None:
    problems = refused(b"cluster: x\nnfs:")
    assert problems == ["values/fuzz.yaml:2:5: nfs: must be a mapping, not null [schema-type]"], (
        problems
    )


def test_huge_integer_is_refused_by_the_length_limit() -> None:
    # Was: ValueError from int() (CPython refuses to convert more than 4300 digits).
    assert refused(b"cluster: " + b"9" * 5000 + b"\n") == [
        "values/fuzz.yaml:1:10: cluster: value longer than 4096 characters; refused [limit-string]"
    ]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("provisioner: {replicas: 2.0}", "provisioner.replicas"),
        (
            "nodeInstaller: {tolerations: [{operator: Exists, tolerationSeconds: 1.0}]}",
            "nodeInstaller.tolerations[0].tolerationSeconds",
        ),
    ],
)
def test_float_where_an_integer_goes_is_a_schema_problem(extra: str, field: str) -> None:
    # Was: RenderError "not a YAML scalar: float" (JSON Schema counts 2.0 as an integer).
    problems = refused((MINIMAL + extra + "\n").encode())
    assert len(problems) == 1
    assert f": {field}: must be a whole number, not " in problems[0]
    assert problems[0].endswith("[schema-type]")
