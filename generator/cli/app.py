"""The command group and the one place that turns errors into messages and exit codes.

Exit codes: 0 ok, 1 invalid input or drift, 2 usage, 3 an unexpected internal error (a bug:
one line and a request to report it, never a traceback), like pre-commit's.
"""

from __future__ import annotations

from typing import Any

import click

from generator import __version__
from generator.errors import BadUsage, InternalError, NfsGitopsError
from generator.report import chosen_format, report_error, report_ok


class Cli(click.Group):
    """The one map from exceptions to messages (in the --format chosen) and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
        except NfsGitopsError as exc:
            self._fail(ctx, exc)  # codes are listed in docs/errors.md
        except click.UsageError as exc:
            if chosen_format(ctx) == "text":
                raise  # click's own usage message, exit 2
            self._fail(ctx, BadUsage(exc.format_message()))
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # anything else is a bug: say so in one line, exit 3
            self._fail(ctx, InternalError(f"{type(exc).__name__}: {exc}"))
        report_ok(ctx)
        return result

    @staticmethod
    def _fail(ctx: click.Context, error: NfsGitopsError) -> None:
        report_error(error, ctx)
        ctx.exit(error.exit_code)


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nfs-gitops")
def cli() -> None:
    """Render NFS dynamic storage for Kubernetes into Git-ready kustomize trees.

    One values file per cluster (values/<cluster>.yaml) becomes output/<cluster>/: namespaces,
    the driver's RBAC, the default StorageClass, an NFS client installer DaemonSet where nodes
    need one, and the driver's chart (nfs-subdir-external-provisioner, or csi-driver-nfs with
    driver: csi-driver-nfs) delivered by Flux, Argo CD or plain kustomize (gitops.engine).
    values/_defaults.yaml holds values every cluster file merges over.

    Exit codes: 0 ok, 1 invalid values or drift, 2 usage error, 3 internal error (a bug).
    """
