"""`doctor`: probe each cluster's NFS export from this machine."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from generator.cli.app import cli
from generator.cli.options import VALUES
from generator.report import chosen_format, format_option


@cli.command()
@click.argument("values", nargs=-1, required=True, type=VALUES)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Connect and operation timeout of each NFS request.",
)
@functools.partial(
    format_option,
    help_text="How to print the checks: text (a line each, stdout), github (annotations for "
    "fail, warn and not checked, stdout) or json (an array on stdout); the summary goes to stderr.",
)
def doctor(values: tuple[Path, ...], timeout: float) -> None:
    """Probe each cluster's NFS export from this machine: server reachable, export mountable,
    NFS versions offered vs nfsvers asked, root squash (mkdir as uid 0, owner read back, chmod,
    chown, clean up). A userspace client: no mount, no root. One line per check: pass, warn,
    fail or not checked, with the fix. Exit 1 if a check fails.

    Needs the optional client: pip install 'nfs-gitops[doctor]'. As non-root it cannot use a
    privileged source port: a `secure` export is then reported as such (not checked). It sees
    the export as this machine does, not as the nodes do (exports limited to their subnet).
    """
    from generator.doctor import report as doctor_report
    from generator.doctor.checks import FAIL, exports_of, nfs_client
    from generator.doctor.probe import diagnose
    from generator.model.checks import name_problems
    from generator.model.notes import default_class_notes
    from generator.values.fleet import load_valid

    docs = load_valid(values, name_problems)
    nfs_client()  # say how to install the extra before anything else
    exports = [export for doc in docs for export in exports_of(doc.data)]
    fmt = chosen_format()
    checks = diagnose(exports, timeout=timeout, each=doctor_report.live(fmt))
    doctor_report.finish(fmt, checks)
    for note in default_class_notes(docs):  # what the export probe cannot see: the cluster
        click.echo(note, err=True)
    click.get_current_context().exit(1 if any(c.status == FAIL for c in checks) else 0)
