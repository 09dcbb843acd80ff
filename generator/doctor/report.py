"""Print doctor's checks: text lines as they come (stdout), GitHub annotations, or a JSON array."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict

import click

from generator.doctor.checks import FAIL, NOT_CHECKED, PASS, WARN, Check, text_line
from generator.report import escape_data, escape_property

_ANNOTATION = {FAIL: "error", WARN: "warning", NOT_CHECKED: "notice"}


def live(fmt: str) -> Callable[[Check], None] | None:
    """A printer for each line as soon as it is known (text only: a slow server shows progress)."""
    if fmt != "text":
        return None
    return lambda check: click.echo(text_line(check))


def github(check: Check) -> str | None:
    level = _ANNOTATION.get(check.status)
    if level is None:
        return None
    fix = f" Fix: {check.fix}." if check.fix else ""
    title = escape_property(f"{check.cluster} {check.check} {check.code}")
    return f"::{level} title={title}::{escape_data(f'{check.export}: {check.detail}.{fix}')}"


def summary(checks: list[Check]) -> str:
    counts = Counter(check.status for check in checks)
    exports = len({(check.cluster, check.export) for check in checks})
    parts = ", ".join(f"{counts[status]} {status}" for status in (PASS, WARN, FAIL, NOT_CHECKED))
    return f"nfs-gitops doctor: {exports} export(s): {parts}"


def finish(fmt: str, checks: list[Check]) -> None:
    if fmt == "json":
        click.echo(json.dumps([asdict(check) for check in checks], indent=2, ensure_ascii=False))
    elif fmt == "github":
        for check in checks:
            line = github(check)
            if line is not None:
                click.echo(line)
    click.echo(summary(checks), err=True)
