"""What lint reports: findings, and kubeconform's counts per tree, version and source."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.errors import Entry
from generator.result import Result


def finding(file: str, resource: str, message: str) -> Entry:
    """One problem kubeconform (or kustomize) found in file, about resource (Kind/name, or "-")."""
    return Entry(file=file, field=resource, message=message, code="lint")


_COUNTERS = {
    "statusValid": "valid",
    "statusInvalid": "invalid",
    "statusError": "errors",
    "statusSkipped": "skipped",
}


@dataclass
class Summary:
    """kubeconform's counts for one source (the files, or the build) of one tree and version."""

    tree: str
    version: str
    source: str
    files: int
    valid: int = 0
    invalid: int = 0
    errors: int = 0
    skipped: int = 0

    def count(self, status: str) -> None:
        """Count one kubeconform result; an unknown status counts as an error."""
        counter = _COUNTERS.get(status, "errors")
        setattr(self, counter, getattr(self, counter) + 1)

    @property
    def total(self) -> int:
        return self.valid + self.invalid + self.errors + self.skipped

    def __str__(self) -> str:
        return (
            f"{self.tree} [Kubernetes {self.version}, {self.source}]: Summary: {self.total} "
            f"resources found in {self.files} files - Valid: {self.valid}, "
            f"Invalid: {self.invalid}, Errors: {self.errors}, Skipped: {self.skipped}"
        )


@dataclass
class Report(Result):
    """lint's Result: its problems are the findings, with kubeconform's counts as summaries."""

    summaries: list[Summary] = field(default_factory=list)
