"""Durations the GitOps engine reads with Go's time.ParseDuration."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction

from generator.errors import Problem
from generator.values.checks.base import check, strings_at
from generator.values.document import Document

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_NANOSECONDS = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
GO_DURATION_MAX = 2**63 - 1  # nanoseconds: Go's time.Duration is an int64


@check("duration")
def go_duration(doc: Document) -> Iterator[Problem]:
    """gitops.interval fits in a Go duration.

    PASS:
        gitops: {interval: 10m}
    FAIL duration:
        gitops: {interval: 9999999h}
    """
    for path, value in strings_at(doc, ("gitops", "interval")):
        parts = _DURATION_PART.findall(value)
        if "".join(number + unit for number, unit in parts) != value:
            continue  # not a duration at all: the schema's pattern says so
        total = sum(int(Fraction(number) * _NANOSECONDS[unit]) for number, unit in parts)
        if total > GO_DURATION_MAX:
            yield doc.problem(
                path,
                "is longer than a Go duration can be (about 2562047h); Flux cannot read it",
                "duration",
            )
