"""A quick "valid" for values files, without importing jsonschema.

Importing jsonschema (attrs, referencing, every metaschema) costs more than the rest of a
one-cluster render, and most runs (pre-commit, CI, `make check`) validate files that are valid.
`accepts` walks the schema for the keywords the values schema uses and answers True only when
the document is valid; False means "ask jsonschema", which then finds and explains every
problem. Anything it does not know (a keyword, a remote $ref, a value type outside JSON) makes
it answer False, so it can cost time but never let an invalid file through. A test checks that
it agrees with jsonschema on generated documents, and that the values schema stays within it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from generator.schema import resolve

# Keywords that never make a document invalid.
ANNOTATIONS = frozenset(
    {
        "$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples",
        "deprecated", "readOnly", "writeOnly",
    }
)  # fmt: skip
# Keywords checked here, with the meaning draft 2020-12 gives them.
ASSERTIONS = frozenset(
    {
        "$ref", "type", "enum", "const", "properties", "additionalProperties", "required",
        "items", "pattern", "minLength", "maxLength", "minItems", "maxItems", "minimum",
        "maximum", "exclusiveMinimum", "exclusiveMaximum",
    }
)  # fmt: skip
KNOWN = ANNOTATIONS | ASSERTIONS


class Unsupported(Exception):
    """The schema or the document holds something this module does not decide."""


def accepts(schema: Mapping[str, Any], instance: Any) -> bool:
    """True when instance is certainly valid against schema; False when jsonschema must decide."""
    try:
        return _valid(schema, instance, schema)
    except Unsupported:
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_type(value: Any, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "number":
        return _is_number(value)
    if name == "integer":  # 2.0 is left to jsonschema, whichever way validate counts it
        return isinstance(value, int) and not isinstance(value, bool)
    raise Unsupported(f"type {name!r}")


def _same(option: Any, value: Any) -> bool:
    """enum/const equality for scalars (true is not 1); containers are left to jsonschema."""
    for item in (option, value):
        if not (item is None or isinstance(item, str | bool | int | float)):
            raise Unsupported("enum of containers")
    if isinstance(option, bool) or isinstance(value, bool):
        return isinstance(option, bool) and isinstance(value, bool) and option is value
    if isinstance(option, str) or isinstance(value, str):
        return isinstance(option, str) and isinstance(value, str) and option == value
    return bool(option == value)


def _resolve(ref: Any, root: Mapping[str, Any]) -> Any:
    try:
        return resolve({"$ref": ref}, dict(root))
    except KeyError:
        raise Unsupported(f"$ref {ref!r}") from None


def _valid(schema: Any, instance: Any, root: Mapping[str, Any]) -> bool:
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, dict):
        raise Unsupported("schema is not an object")
    unknown = schema.keys() - KNOWN
    if unknown or ("$id" in schema and schema is not root):
        raise Unsupported(f"keywords {sorted(unknown) or ['$id']}")
    if "$ref" in schema and not _valid(_resolve(schema["$ref"], root), instance, root):
        return False
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(instance, str(name)) for name in names):
            return False
    if "enum" in schema and not any(_same(option, instance) for option in schema["enum"]):
        return False
    if "const" in schema and not _same(schema["const"], instance):
        return False
    if isinstance(instance, dict):
        return _valid_object(schema, instance, root)
    if isinstance(instance, list):
        if not schema.get("minItems", 0) <= len(instance) <= schema.get("maxItems", len(instance)):
            return False
        items = schema.get("items", True)
        return all(_valid(items, item, root) for item in instance)
    if isinstance(instance, str):
        if (
            not schema.get("minLength", 0)
            <= len(instance)
            <= schema.get("maxLength", len(instance))
        ):
            return False
        return "pattern" not in schema or re.search(schema["pattern"], instance) is not None
    if _is_number(instance):
        return _valid_number(schema, instance)
    if instance is None or isinstance(instance, bool):
        return True
    raise Unsupported(f"value of type {type(instance).__name__}")


def _valid_object(
    schema: dict[str, Any], instance: dict[Any, Any], root: Mapping[str, Any]
) -> bool:
    if not all(isinstance(key, str) for key in instance):
        raise Unsupported("non-string keys")
    if not all(key in instance for key in schema.get("required", ())):
        return False
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise Unsupported("properties is not an object")
    extra = schema.get("additionalProperties", True)
    for key, value in instance.items():
        sub = properties.get(key, extra)
        if not _valid(sub, value, root):
            return False
    return True


def _valid_number(schema: dict[str, Any], value: float) -> bool:
    for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if keyword in schema and not _is_number(schema[keyword]):
            raise Unsupported(f"{keyword} is not a number")
    return (
        schema.get("minimum", value) <= value <= schema.get("maximum", value)
        and ("exclusiveMinimum" not in schema or value > schema["exclusiveMinimum"])
        and ("exclusiveMaximum" not in schema or value < schema["exclusiveMaximum"])
    )
