"""The provisioner Deployment: replicas and leader election."""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Problem
from generator.values.checks.base import check, lookup
from generator.values.document import Document


@check("leader-election")
def replicas_need_leader_election(doc: Document) -> Iterator[Problem]:
    """Several replicas provision the same claim twice unless they elect a leader.

    PASS:
        provisioner: {replicas: 2, leaderElection: true}
    FAIL leader-election:
        provisioner: {replicas: 2, leaderElection: false}
    """
    replicas = lookup(doc.data, ("provisioner", "replicas"))
    if (
        isinstance(replicas, int)
        and replicas > 1
        and lookup(doc.data, ("provisioner", "leaderElection")) is False
    ):
        yield doc.problem(
            ("provisioner", "replicas"),
            "more than one replica needs provisioner.leaderElection: true",
            "leader-election",
        )
