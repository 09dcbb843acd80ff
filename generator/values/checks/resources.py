"""Resource requests and limits: a request never above its limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction

from generator.errors import Problem
from generator.values.checks.base import check, lookup
from generator.values.document import Document, JsonPath

_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?")
_SUFFIX = {
    None: Fraction(1), "m": Fraction(1, 1000),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9),
    "T": Fraction(10**12), "P": Fraction(10**15), "E": Fraction(10**18),
    "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30),
    "Ti": Fraction(2**40), "Pi": Fraction(2**50), "Ei": Fraction(2**60),
}  # fmt: skip


def quantity(text: str) -> Fraction | None:
    """A Kubernetes quantity as an exact number; None when it is not one we accept."""
    match = _QUANTITY.fullmatch(text)
    return None if match is None else Fraction(match.group(1)) * _SUFFIX[match.group(2)]


@check("resources")
def requests_within_limits(doc: Document) -> Iterator[Problem]:
    """The API server refuses a request above its limit.

    PASS:
        provisioner: {resources: {requests: {memory: 64Mi}, limits: {memory: 128Mi}}}
    FAIL resources:
        provisioner: {resources: {requests: {memory: 1Gi}, limits: {memory: 128Mi}}}
    """
    for owner in (("provisioner",), ("nodeInstaller",)):
        base: JsonPath = (*owner, "resources")
        requests = lookup(doc.data, (*base, "requests"))
        limits = lookup(doc.data, (*base, "limits"))
        if not isinstance(requests, dict) or not isinstance(limits, dict):
            continue
        for name, request in requests.items():
            limit = limits.get(name)
            if not isinstance(request, str) or not isinstance(limit, str):
                continue
            low, high = quantity(request), quantity(limit)
            if low is not None and high is not None and low > high:
                yield doc.problem(
                    (*base, "requests", name),
                    f"request {request} is above the limit {limit}; the API server refuses it",
                    "resources",
                )
