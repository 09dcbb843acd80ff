"""Command line: parse options, call the use-case, report (generator/cli/app.py maps errors to
exit codes). One module per command family; importing them registers the commands."""

from __future__ import annotations

from generator.cli import doctor, kubeconform, render, scaffold, values
from generator.cli.app import cli

__all__ = ["cli", "doctor", "kubeconform", "main", "render", "scaffold", "values"]


def main() -> None:
    cli(prog_name="nfs-gitops")
