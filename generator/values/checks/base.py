"""What every check shares: the Check record, its decorator, and reading values by path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from generator.errors import Problem
from generator.values.document import Document, JsonPath
from generator.values.exports import lookup_in

CheckFunction = Callable[[Document], Iterator[Problem]]


@dataclass(frozen=True)
class Check:
    """One semantic rule: the codes it may emit (its id) and the function that finds problems.

    The function's docstring carries a PASS example and a FAIL example per code (values-file
    YAML); tests run them.
    """

    codes: tuple[str, ...]
    find: CheckFunction

    @property
    def name(self) -> str:
        return self.find.__name__

    @property
    def doc(self) -> str:
        return self.find.__doc__ or ""

    def __call__(self, doc: Document) -> Iterator[Problem]:
        return self.find(doc)


def check(*codes: str) -> Callable[[CheckFunction], Check]:
    """Declare a function a check that emits these codes (the first is its id)."""

    def declare(find: CheckFunction) -> Check:
        return Check(codes, find)

    return declare


# The checks' name for the values lookup shared with generator/values/exports.py.
lookup = lookup_in


def strings_at(doc: Document, *paths: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    for path in paths:
        value = lookup(doc.data, path)
        if isinstance(value, str):
            yield path, value
