"""The one error hierarchy of nfs-gitops; the CLI maps it to exit codes in one place."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str
    line: int
    column: int
    field: str
    message: str
    code: str

    def entry(self) -> Entry:
        return Entry(
            file=self.file,
            line=self.line,
            column=self.column,
            field=self.field,
            message=self.message,
            code=self.code,
        )

    def __str__(self) -> str:
        file = self.file if self.file.isprintable() else json.dumps(self.file)
        text = f"{file}:{self.line}:{self.column}: {self.field}: {self.message} [{self.code}]"
        return printable(text)


@dataclass(frozen=True, kw_only=True, order=True)
class Entry:
    """One reported problem, the record every command reports (text, github, json): a located
    values Problem, a lint finding, an error. file, line, column and field are None where they
    do not apply."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    message: str
    code: str

    def __str__(self) -> str:
        where = self.file or "nfs-gitops"
        if self.line is not None:
            where = f"{where}:{self.line}:{self.column}"
        field = f" {self.field}:" if self.field is not None else ""
        return printable(f"{where}:{field} {self.message}")


def printable(text: str) -> str:
    """text on one line: a line break in a file name must not forge a line of the report."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else json.dumps(char)[1:-1] for char in text)


BUG_EXIT = 3  # the exit code of an internal error (a bug), as pre-commit uses it


class NfsGitopsError(Exception):
    """Base of every error the CLI reports without a traceback.

    `code` is the stable short name listed in docs/errors.md; `path` the file or folder the
    error is about, when there is one.
    """

    exit_code = 1
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, path: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.path = path


class InvalidValues(NfsGitopsError):
    """One or more values files were refused; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) found")
        self.problems = sorted(problems)


class OutputError(NfsGitopsError):
    """The output folder cannot be written safely."""

    code = "output"


def os_error(exc: OSError, doing: str, path: object, *, code: str) -> OutputError:
    """The OutputError for an OS error while doing something to path ("cannot read X: why")."""
    return OutputError(f"{doing} {path}: {exc.strerror}", code=code, path=str(path))


class RenderError(NfsGitopsError):
    """A template failed; a bug in nfs-gitops, reported with template file and line."""

    exit_code = BUG_EXIT
    code = "render"


class InternalError(NfsGitopsError):
    """An unexpected exception: a bug in nfs-gitops, whatever the input."""

    exit_code = BUG_EXIT
    code = "internal"


class DriftError(NfsGitopsError):
    """`render --check` found files that differ from what the values render to."""

    code = "drift"

    def __init__(self, message: str, *, files: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.files = dict(files or {})  # stale file -> what is wrong with it


class ToolMissing(NfsGitopsError):
    """An external program (kubeconform, kustomize) or its schemas are not installed."""

    code = "tool-missing"


class LintError(NfsGitopsError):
    """`lint` found rendered resources that kubeconform (or kustomize) rejects."""

    code = "lint"

    def __init__(self, message: str, *, findings: list[Entry] | None = None) -> None:
        super().__init__(message)
        self.findings = list(findings or [])  # each reported like any other entry


class BadUsage(NfsGitopsError):
    """The command line gives nothing to work on; exit 2 like any usage error."""

    exit_code = 2
    code = "usage"
