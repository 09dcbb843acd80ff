"""Parse every rendered file back: a template must produce the YAML we meant to write."""

from __future__ import annotations

from typing import Any

import yaml

from generator.errors import RenderError

# libyaml when available: parsing every rendered file back is most of a render's time.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Texts that passed parse_back. Across a fleet most files are the same text (only the header,
# added later by output, names another values file), and parsing is the dearest step of a render.
_PARSED_OK: set[tuple[str, bool]] = set()
_PARSED_OK_MAX = 4096


def parse_back(name: str, text: str, *, is_resource: bool) -> None:
    """Refuse a rendered file that is not the well-formed YAML we meant to write (RenderError).

    The header output adds is one comment line: it cannot change what text parses to."""
    if (text, is_resource) in _PARSED_OK:
        return
    _check_parsed(name, text, is_resource=is_resource)
    if len(_PARSED_OK) >= _PARSED_OK_MAX:
        _PARSED_OK.clear()
    _PARSED_OK.add((text, is_resource))


def _check_parsed(name: str, text: str, *, is_resource: bool) -> None:
    try:
        docs = list(yaml.load_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as exc:
        # Count lines as in the written file, whose header is line 1.
        exc.context_mark = _next_line(exc.context_mark)
        exc.problem_mark = _next_line(exc.problem_mark)
        raise RenderError(f"{name}: rendered YAML does not parse: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RenderError(f"{name}: rendered YAML does not parse: {exc}") from exc
    if not docs or not all(isinstance(doc, dict) for doc in docs):
        raise RenderError(f"{name}: every rendered document must be a mapping")
    if is_resource:
        for doc in docs:
            if not {"apiVersion", "kind", "metadata"} <= doc.keys():
                raise RenderError(f"{name}: a rendered object lacks apiVersion, kind or metadata")


def _next_line(mark: Any) -> Any:
    if mark is None:
        return None
    return yaml.Mark(mark.name, mark.index, mark.line + 1, mark.column, None, 0)
