"""Read a values file as JSON-shaped data, remembering where every value came from.

Values files are edited by hand and checked in pre-commit hooks, so the loader refuses what
would surprise a reviewer (duplicate keys, several documents, tags) and what could hurt the
machine (huge files, alias bombs, deep nesting) before anything is expanded.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from generator.errors import InvalidValues, Problem
from generator.values.compose import SecondDocument, single_node
from generator.values.document import Document, JsonPath, Position, format_path, quote

# Limits: far above any real values file, low enough that refusing is instant.
MAX_FILE_BYTES = 256 * 1024
MAX_NODES = 10_000
MAX_DEPTH = 32
MAX_STRING_CHARS = 4096
# Every whole number Kubernetes takes is an int32 or int64; a bigger one would wrap on the API
# server (and Python cannot print one of more than 4,300 digits).
MAX_INTEGER = 2**63 - 1
_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels; refused"

_scalars = SafeConstructor()
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null": _scalars.construct_yaml_null,
    "tag:yaml.org,2002:bool": _scalars.construct_yaml_bool,
    "tag:yaml.org,2002:int": _scalars.construct_yaml_int,
    "tag:yaml.org,2002:float": _scalars.construct_yaml_float,
}
# Timestamps stay text: a date is never what a values key means.
_STRING_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}
_COLLECTION_TAGS = {MappingNode: "tag:yaml.org,2002:map", SequenceNode: "tag:yaml.org,2002:seq"}


def _tag(tag: str) -> str:
    """A tag as it is written: !!binary rather than tag:yaml.org,2002:binary."""
    return (
        "!!" + tag.removeprefix("tag:yaml.org,2002:")
        if tag.startswith("tag:yaml.org,2002:")
        else tag
    )


class _TooBig(Exception):
    def __init__(self, node: Node, message: str, code: str, path: JsonPath = ()) -> None:
        super().__init__(message)
        self.node = node
        self.code = code
        self.path = path


class _Builder:
    """Turns a composed node tree into plain data, counting nodes so aliases cannot explode."""

    def __init__(self, doc: Document, lines: list[str]) -> None:
        self.doc = doc
        self.lines = lines
        self.nodes = 0
        self.problems: list[Problem] = []

    def at(self, node: Node) -> Position:
        return _inside(self.lines, node.start_mark.line + 1, node.start_mark.column + 1)

    def add(self, node: Node, path: JsonPath, message: str, code: str) -> None:
        line, column = self.at(node)
        self.problems.append(Problem(self.doc.file, line, column, format_path(path), message, code))

    def build(self, node: Node, path: JsonPath, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(
                node, f"more than {MAX_NODES} values (alias expansion?); refused", "limit-nodes"
            )
        if depth > MAX_DEPTH:
            raise _TooBig(node, _TOO_DEEP, "limit-depth")
        self.doc.positions.setdefault(path, self.at(node))
        if (
            isinstance(node, MappingNode | SequenceNode)
            and node.tag != _COLLECTION_TAGS[type(node)]
        ):
            self.add(node, path, f"unsupported YAML tag {_tag(node.tag)}", "yaml-tag")
            return None
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self.scalar(node, path)

    def mapping(self, node: MappingNode, path: JsonPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.add(key_node, path, "merge keys (<<) are not supported", "yaml-merge-key")
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _STRING_TAGS:
                self.add(key_node, path, "keys must be strings", "yaml-key-type")
                continue
            key = key_node.value
            self.check_length(key_node, path, "key")  # named by its mapping: it is too long
            if key in result:
                first = self.doc.key_positions[(*path, key)]
                self.add(
                    key_node,
                    (*path, key),
                    f"duplicate key (first defined at line {first[0]})",
                    "yaml-duplicate-key",
                )
                continue
            self.doc.key_positions[(*path, key)] = self.at(key_node)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result

    def check_length(self, node: ScalarNode, path: JsonPath, what: str) -> None:
        # Numbers too: int() of a 5,000-digit string raises ValueError (CPython's own limit).
        if len(node.value) > MAX_STRING_CHARS:
            message = f"{what} longer than {MAX_STRING_CHARS} characters; refused"
            raise _TooBig(node, message, "limit-string", path)

    def scalar(self, node: ScalarNode, path: JsonPath) -> Any:
        self.check_length(node, path, "value")
        if node.tag in _STRING_TAGS:
            return node.value
        construct = _SCALAR_TAGS.get(node.tag)
        if construct is None:
            self.add(node, path, f"unsupported YAML tag {_tag(node.tag)}", "yaml-tag")
            return None
        try:
            value = construct(node)
        except (ArithmeticError, LookupError, ValueError, yaml.YAMLError):
            # An explicit tag on text it does not fit: !!int abc, !!bool maybe, !!float ''.
            kind = node.tag.rpartition(":")[2]
            self.add(node, path, f"{quote(node.value)} is not a valid !!{kind}", "yaml-tag")
            return None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            self.add(node, path, "whole number beyond 64 bits; refused", "limit-integer")
            return None
        return value


def load_file(path: Path, display: str | None = None) -> Document:
    """Load one values file; raise InvalidValues with every problem found."""
    name = display if display is not None else str(path)

    def fail(message: str) -> InvalidValues:
        return InvalidValues([Problem(name, 1, 1, "(root)", message, "file-unreadable")])

    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; only regular files are read.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.islink(path) and not os.path.exists(path):
            raise fail("is a symbolic link to nothing") from None
        raise fail(f"cannot read: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a FIFO or device?)"
            raise fail(f"cannot read: is {kind}")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    doc = load_bytes(raw, name)
    doc.path = path
    return doc


def load_bytes(raw: bytes, name: str) -> Document:
    def fail(line: int, column: int, message: str, code: str) -> InvalidValues:
        return InvalidValues([Problem(name, line, column, "(root)", message, code)])

    if len(raw) > MAX_FILE_BYTES:
        raise fail(1, 1, f"file is larger than {MAX_FILE_BYTES} bytes; refused", "file-too-large")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(line, column, "file is not valid UTF-8", "file-encoding") from None
    doc = Document(name, {})
    lines = text.splitlines()
    try:
        node = single_node(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _inside(lines, mark.line + 1, mark.column + 1) if mark else (1, 1)
        if exc.problem and "maximum nesting depth" in exc.problem:  # libyaml's own limit, 1000
            raise fail(line, column, _TOO_DEEP, "limit-depth") from None
        message = _one_line(f"invalid YAML: {exc.problem or exc}")
        raise fail(line, column, message, "yaml-syntax") from None
    except ReaderError as exc:
        line, column = _reader_error_position(text, exc)
        message = f"invalid YAML: character {_char(exc.character)} is not allowed: {exc.reason}"
        raise fail(line, column, message, "yaml-syntax") from None
    except yaml.YAMLError as exc:
        raise fail(1, 1, _one_line(f"invalid YAML: {exc}"), "yaml-syntax") from None
    except SecondDocument as exc:
        raise fail(
            exc.line, 1, "only one YAML document is allowed", "yaml-multiple-documents"
        ) from None
    except RecursionError:
        raise fail(1, 1, _TOO_DEEP, "limit-depth") from None
    if node is None:
        raise fail(1, 1, "file is empty; expected a mapping with at least cluster and nfs", "empty")
    if not isinstance(node, MappingNode):
        line, column = _inside(lines, node.start_mark.line + 1, node.start_mark.column + 1)
        raise fail(line, column, "top level must be a mapping of keys to values", "not-a-mapping")
    builder = _Builder(doc, lines)
    try:
        doc.data = builder.mapping(node, (), 0)
    except _TooBig as exc:
        line, column = builder.at(exc.node)
        field = format_path(exc.path)
        raise InvalidValues([Problem(name, line, column, field, str(exc), exc.code)]) from None
    except RecursionError:
        raise fail(1, 1, _TOO_DEEP, "limit-depth") from None
    if builder.problems:
        raise InvalidValues(builder.problems)
    doc.positions.setdefault((), builder.at(node))
    return doc


def _inside(lines: list[str], line: int, column: int) -> Position:
    """A parser position moved back into the file's lines: libyaml puts the end of the file
    (where an empty value or a missing bracket is) on the line after the last one."""
    if line <= len(lines):
        return line, column
    return (len(lines), len(lines[-1]) + 1) if lines else (1, 1)


def _one_line(message: str) -> str:
    """Parser messages can span lines; ours are one line each (FILE:LINE:COL: ...)."""
    return " ".join(message.split())


def _char(character: int | str) -> str:
    code = character if isinstance(character, int) else ord(character[:1] or "\0")
    return f"U+{code:04X}"


def _reader_error_position(text: str, exc: ReaderError) -> Position:
    """Line and column of the character the reader refused.

    libyaml reports a byte offset and PyYAML a character offset; the refused character is
    refused wherever it appears, so its first occurrence is the one the reader stopped at.
    """
    character = exc.character
    index = text.find(chr(character) if isinstance(character, int) else character)
    if index < 0:
        index = min(max(exc.position, 0), len(text))
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1
