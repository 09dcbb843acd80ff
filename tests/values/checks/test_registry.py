"""The check registry: each check's declared codes, its docstring examples, and the catalogue."""

from __future__ import annotations

import inspect
import re
import textwrap

import pytest

from generator.errors import InvalidValues
from generator.values.checks import CHECKS, codes, run_checks
from generator.values.checks.base import Check
from generator.values.document import Document
from generator.values.load import load_bytes
from tests.error_catalogue import HEADING, ROOT, documented_codes, emitted_codes

# `PASS:` or `FAIL <code>:` at the left margin of the cleaned docstring, then indented YAML.
EXAMPLE = re.compile(r"^(?:PASS|FAIL (?P<code>[a-z0-9-]+)):\n(?P<yaml>(?:[ ]{4}.*\n|\n)+)", re.M)


def examples(check: Check) -> list[tuple[str | None, str]]:
    """(None for PASS or the code a FAIL example yields, the example's YAML)."""
    text = inspect.cleandoc(check.doc) + "\n"
    return [(m["code"], textwrap.dedent(m["yaml"])) for m in EXAMPLE.finditer(text)]


def load(text: str) -> Document:
    return load_bytes(text.encode(), "example.yaml")


def test_the_registry_holds_every_check_once() -> None:
    assert len(CHECKS) == 28
    assert len({check.name for check in CHECKS}) == len(CHECKS)
    assert all(check.codes for check in CHECKS)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.name)
def test_each_check_has_a_passing_example_and_a_failing_one_per_code(check: Check) -> None:
    found = examples(check)
    assert [code for code, _ in found if code is None] == [None], "one PASS example"
    assert sorted(code for code, _ in found if code) == sorted(check.codes), "a FAIL per code"


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.name)
def test_the_passing_example_passes_every_check(check: Check) -> None:
    (example,) = (text for code, text in examples(check) if code is None)
    assert run_checks(load(example)) == []


@pytest.mark.parametrize(
    ("check", "code", "example"),
    [
        pytest.param(check, code, text, id=f"{check.name}-{code}")
        for check in CHECKS
        for code, text in examples(check)
        if code
    ],
)
def test_the_failing_example_yields_its_code_and_no_other(
    check: Check, code: str, example: str
) -> None:
    doc = load(example)
    assert [problem.code for problem in check(doc)] == [code]
    assert [problem.code for problem in run_checks(doc)] == [code]


def _documents() -> list[Document]:
    files = sorted((ROOT / "tests" / "negative").glob("*.yaml")) + sorted(
        (ROOT / "values").glob("*.yaml")
    )
    docs = []
    for file in files:
        try:
            docs.append(load_bytes(file.read_bytes(), str(file)))
        except InvalidValues:
            continue  # refused by the loader: no check ever sees it
    return docs


def test_checks_emit_only_the_codes_they_declare() -> None:
    docs = _documents()
    assert len(docs) >= 20
    seen: set[str] = set()
    for check in CHECKS:
        for doc in docs:
            emitted = {problem.code for problem in check(doc)}
            assert emitted <= set(check.codes), (check.name, doc.file, emitted)
            seen |= emitted
    assert len(seen) >= 5  # the negative cases do reach the checks


# Codes docs/errors.md lists under "Semantic checks" that compare values files with each other.
FLEET_RULES = {"cluster-duplicate", "gitops-path-duplicate", "defaults-cluster"}


def test_the_semantic_checks_section_lists_the_checks_codes_and_the_fleet_rules() -> None:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    section = text.split("\n## Semantic checks\n")[1].split("\n## ")[0]
    assert set(HEADING.findall(section)) == codes() | FLEET_RULES
    assert codes() <= documented_codes()


def test_the_fleet_rules_are_emitted_outside_the_checks() -> None:
    emitted = emitted_codes()
    for code in FLEET_RULES:
        assert emitted[code], code
        assert not any(place.startswith("values/checks/") for place in emitted[code]), code


def test_a_check_module_stays_small() -> None:
    for file in (ROOT / "generator" / "values" / "checks").glob("*.py"):
        assert len(file.read_text(encoding="utf-8").splitlines()) <= 300, file.name
