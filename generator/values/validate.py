"""Validate a loaded values file: the JSON Schema first, then the semantic checks."""

from __future__ import annotations

import difflib
import json
from functools import cache
from typing import TYPE_CHECKING, Any

from generator.errors import InvalidValues, Problem
from generator.schema import schema
from generator.schema.quick import accepts
from generator.values.checks import run_checks
from generator.values.document import Document

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator


@cache
def _validator() -> Validator:
    # jsonschema is the heaviest import we have; only pay for it when validating. The schema is
    # checked against the metaschema by the tests (test_cli), not on every run: that check cost
    # more than validating a values file.
    from jsonschema import Draft202012Validator, validators

    # JSON Schema counts 2.0 as an integer; YAML reads it as a float, which no template can
    # write where Kubernetes wants a whole number. Only real integers are integers here.
    integers = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    )
    strict: Any = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, type_checker=integers
    )
    validator: Validator = strict(schema())
    return validator


def validate(doc: Document) -> None:
    """Raise InvalidValues with every problem in the document, or return quietly."""
    problems: list[Problem] = []
    if not accepts(schema(), doc.data):  # a sure "valid" needs no jsonschema (schema/quick.py)
        problems = [p for e in _validator().iter_errors(doc.data) for p in _explain(doc, e)]
    problems += _no_export(doc) + run_checks(doc)
    if problems:
        raise InvalidValues(problems)


def _no_export(doc: Document) -> list[Problem]:
    """The schema requires cluster; one of nfs and exports is required too."""
    data = doc.data
    if not isinstance(data, dict) or "nfs" in data or "exports" in data:
        return []
    message = "is required but missing (or list several exports under exports)"
    return [doc.problem(("nfs",), message, "schema-required", key=True)]


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 60 else text[:57] + "..."


_TYPE_NAMES = {
    "string": "a string",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "null": "null",
}


def _explain(doc: Document, error: ValidationError) -> list[Problem]:
    from jsonschema.exceptions import best_match

    if error.context:
        error = best_match(error.context)
    path = tuple(error.absolute_path)
    node: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    validator: Any = error.validator
    expected: Any = error.validator_value
    value: Any = error.instance
    if validator == "additionalProperties":
        known = list(node.get("properties", {}))
        found = []
        for key in sorted(set(value) - set(known)):
            hint = difflib.get_close_matches(key, known, n=1)
            message = f"unknown key {_short(key)}; " + (
                f"did you mean {hint[0]!r}?" if hint else f"known keys: {', '.join(known)}"
            )
            found.append(doc.problem((*path, key), message, "schema-unknown-key", key=True))
        return found
    if validator == "required":
        return [
            doc.problem((*path, key), "is required but missing", "schema-required", key=True)
            for key in expected
            if key not in value
        ]
    if validator == "type":
        names = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in names)
        return [doc.problem(path, f"must be {wanted}, not {_short(value)}", "schema-type")]
    if validator == "enum":
        options = ", ".join(_short(option) for option in expected)
        return [doc.problem(path, f"must be one of {options}; got {_short(value)}", "schema-enum")]
    if validator == "pattern":
        what = str(node.get("description", "the expected format")).rstrip(".")
        message = f"{_short(value)} is not valid: {what[0].lower() + what[1:]}"
        return [doc.problem(path, message, "schema-pattern")]
    if validator in ("minimum", "maximum", "maxLength", "minLength", "minItems", "maxItems"):
        return [
            doc.problem(path, f"{validator} is {expected}; got {_short(value)}", "schema-range")
        ]
    return [doc.problem(path, error.message, "schema")]
