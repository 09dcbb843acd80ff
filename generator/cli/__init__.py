"""Command line: parse options, call the pipeline, report. Exit codes are mapped in Cli.invoke."""

from __future__ import annotations

import copy
import functools
import math
import shlex
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from generator import __version__
from generator.errors import DriftError, NfsGitopsError
from generator.output.lock import DEFAULT_TIMEOUT
from generator.report import chosen_format, format_option, report_error, report_ok
from generator.schema import engines

if TYPE_CHECKING:
    from generator.load import Document
    from generator.output.changes import TreeChanges

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class NonEmptyPath(click.Path):
    """A path option or argument that refuses '': Path('') is '.', so an empty variable in a
    script (--output-dir "$OUT") would silently mean the current folder."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value:
            self.fail("must not be empty (it would mean the current folder)", param, ctx)
        return super().convert(value, param, ctx)


# Not readable=True: an unreadable file or folder is a located problem (exit 1), not click's.
VALUES = NonEmptyPath(
    exists=False, dir_okay=True, readable=False, path_type=Path
)  # a folder: its cluster files


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):  # nan never compares past a deadline: the wait would not end
        raise click.BadParameter(f"{value} is not a finite number of seconds")
    return value


class Cli(click.Group):
    """The one place that turns nfs-gitops errors into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
        except NfsGitopsError as exc:
            report_error(exc, ctx)  # in the --format chosen; codes are listed in docs/errors.md
            ctx.exit(exc.exit_code)
        report_ok(ctx)
        return result


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nfs-gitops")
def cli() -> None:
    """Render NFS dynamic storage for Kubernetes into Git-ready kustomize trees.

    One values file per cluster (values/<cluster>.yaml) becomes output/<cluster>/: namespaces,
    provisioner RBAC, an NFS client installer DaemonSet, the default StorageClass, and the
    nfs-subdir-external-provisioner chart delivered by Flux, Argo CD or plain kustomize
    (gitops.engine). values/_defaults.yaml holds values every cluster file merges over.

    Exit codes: 0 ok, 1 invalid values or drift, 2 usage error.
    """


def engine_options(command: F) -> F:
    """--engine and --repo-url, the same for every command that writes a values file."""
    command = click.option(
        "--repo-url", help="Git repository that holds output/ (needed by --engine argocd)."
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(engines()),
        default="flux",
        show_default=True,
        help="GitOps engine that delivers the tree.",
    )(command)


@cli.command()
@click.option("--cluster", required=True, help="Cluster name (DNS-1123 label).")
@click.option("--server", required=True, help="NFS server: IPv4, IPv6 or DNS name.")
@click.option("--path", "nfs_path", required=True, help="Absolute path of the NFS export.")
@engine_options
@click.option(
    "--output",
    type=NonEmptyPath(dir_okay=False, path_type=Path),
    help="File to create.  [default: values/CLUSTER.yaml]",
)
def init(
    cluster: str,
    server: str,
    nfs_path: str,
    engine: str,
    repo_url: str | None,
    output: Path | None,
) -> None:
    """Write a commented values file for a new cluster; never overwrites one.

    The file is validated (over the _defaults.yaml beside it, if any) before it is written.
    """
    from generator.scaffold.init import schema_reference, values_text, write_new
    from generator.values.fleet import validate_new

    if engine == "argocd" and not repo_url:
        raise click.UsageError("--engine argocd needs --repo-url (where Argo CD reads output/)")
    target = output if output is not None else Path("values") / f"{cluster}.yaml"
    text = values_text(
        cluster=cluster,
        server=server,
        path=nfs_path,
        engine=engine,
        repo_url=repo_url,
        schema_ref=schema_reference(target),
    )
    validate_new(text.encode("utf-8"), target)
    write_new(target, text)
    click.echo(f"wrote {target}; next: {render_command((target,), Path('output'))}", err=True)


@cli.command()
@click.argument(
    "helm_values", metavar="HELM_VALUES", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--release", required=True, help="Name of the manual Helm release.")
@click.option(
    "--namespace", "release_namespace", required=True, help="Namespace of the manual release."
)
@click.option(
    "--class",
    "storage_class",
    help="Name of the StorageClass the release made.  [default: the release's, or nfs-client]",
)
@click.option("--cluster", required=True, help="Cluster name (DNS-1123 label).")
@click.option(
    "--target-namespace",
    default="nfs-provisioner",
    show_default=True,
    help="Namespace the tree runs the provisioner in (not the manual release's).",
)
@engine_options
@click.option(
    "--default-class/--no-default-class",
    default=True,
    show_default=True,
    help="Annotate the class as the cluster's default (as `kubectl patch` did by hand).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to create.  [default: values/CLUSTER.yaml]",
)
def adopt(
    helm_values: Path,
    release: str,
    release_namespace: str,
    storage_class: str | None,
    cluster: str,
    target_namespace: str,
    engine: str,
    repo_url: str | None,
    default_class: bool,
    output: Path | None,
) -> None:
    """Write a values file that takes over a manual `helm install` of the provisioner, and
    print the takeover runbook.

    HELM_VALUES is what `helm get values RELEASE -n NAMESPACE -o yaml` (or with --all) printed.
    The tree keeps the release name, class name and provisioner name, so existing volumes keep
    their provisioner. Chart values it cannot map are listed on stderr ("not mapped: ..."); the
    file is validated before it is written and never overwrites one.
    """
    from generator.scaffold.adopt import Request
    from generator.scaffold.adopt import adopt as adopt_release
    from generator.scaffold.init import schema_reference
    from generator.scaffold.runbook import runbook

    if engine == "argocd" and not repo_url:
        raise click.UsageError("--engine argocd needs --repo-url (where Argo CD reads output/)")
    if target_namespace == release_namespace:
        raise click.UsageError(
            f"--target-namespace must differ from the release's namespace ({release_namespace}): "
            "the runbook retires the manual release after the tree's provisioner runs"
        )
    target = output if output is not None else Path("values") / f"{cluster}.yaml"
    request = Request(
        helm_values=helm_values,
        release=release,
        namespace=release_namespace,
        storage_class=storage_class,
        cluster=cluster,
        target=target,
        target_namespace=target_namespace,
        engine=engine,
        repo_url=repo_url,
        default_class=default_class,
    )
    result = adopt_release(request, schema_reference(target))
    click.echo(f"wrote {target}", err=True)
    for key in result.adoption.not_mapped:
        click.echo(f"not mapped: {key}", err=True)
    for change in result.adoption.changed:
        click.echo(f"changed: {change}", err=True)
    click.echo(runbook(result.takeover), nl=False)


@cli.command()
@click.argument("values", nargs=-1, required=True, type=VALUES)
@format_option
def validate(values: tuple[Path, ...]) -> None:
    """Check values files against the schema and the semantic rules; report every problem."""
    from generator.values.fleet import load_valid

    docs = load_valid(values)
    click.echo(f"{len(docs)} values file(s) valid", err=True)
    for note in default_class_notes(docs):
        click.echo(note, err=True)


def default_class_notes(docs: Iterable[Document]) -> list[str]:
    """A second default class makes class-less claims land on whichever is newest: say so for
    every cluster whose tree annotates its class as the default."""
    from generator.model import build_model

    notes = []
    for doc in docs:
        model = build_model(doc.data, doc.file)
        if model.values["storageClass"]["default"]:
            notes.append(
                f"note: {model.names.cluster}: {model.export.names.storage_class} becomes the "
                "default StorageClass; remove the default annotation from any other class (k3s "
                'local-path, a cloud\'s default): README, "Another default class"'
            )
    return notes


@cli.command()
@click.argument("values", nargs=-1, required=True, type=VALUES)
@click.option(
    "--output-dir",
    type=NonEmptyPath(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder that holds one tree per cluster.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with a diff if output is stale.")
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove the generated files of OUTPUT_DIR trees whose values file (named in their "
    "header) is gone or now renders another cluster.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Name every file changed and print the summary."
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    callback=_finite,
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait while another render holds OUTPUT_DIR/.nfs-gitops.lock.",
)
@click.option(
    "--allow-recreate",
    is_flag=True,
    help="This render only: a StorageClass whose immutable fields change gets the engine's "
    "delete-and-re-create mechanism instead of being refused.",
)
@click.option(
    "--allow-export-change",
    is_flag=True,
    help="This render only: accept a changed nfs.server or nfs.path (see docs/errors.md, "
    "nfs-export-change, for the risk).",
)
@format_option
def render(
    values: tuple[Path, ...],
    output_dir: Path,
    check: bool,
    prune: bool,
    verbose: bool,
    lock_timeout: float,
    allow_recreate: bool,
    allow_export_change: bool,
) -> None:
    """Render values files into OUTPUT_DIR/<cluster>/ (only changed files are written).

    A folder in VALUES stands for its cluster files (not those starting with _); each file is
    merged over the _defaults.yaml beside it. OUTPUT_DIR is created when missing. Renders of
    one OUTPUT_DIR take turns (a lock file). On a terminal a progress bar and a summary go to
    stderr; otherwise only errors, removals and notes, unless --verbose.

    A change Kubernetes would refuse (an immutable StorageClass field) or one that puts volumes
    at risk (a moved NFS export) is refused, nothing written, unless opted in for this render.
    """
    from generator.output.changes import stale_files, unified_diff
    from generator.output.guard import Options
    from generator.output.lock import output_lock
    from generator.output.plan import plan_trees
    from generator.output.prune import plan_orphans
    from generator.output.write import apply_changes
    from generator.values.fleet import load_valid

    docs = load_valid(values)  # refuse bad values before OUTPUT_DIR is created or locked
    options = Options(allow_recreate, allow_export_change, check)
    with output_lock(output_dir, timeout=lock_timeout, shared=check):
        with _progress(docs, "Rendering") as each:
            trees = plan_trees(each, output_dir, options)
        if prune:
            trees += plan_orphans(output_dir, docs)
        for note in (note for tree in trees for note in tree.notes):
            click.echo(note, err=True)
        if check:
            stale = [tree for tree in trees if not tree.clean]
            for tree in stale:  # stdout holds only the JSON array with --format json
                click.echo(unified_diff(tree), nl=False, err=chosen_format() == "json")
            if stale:
                names = ", ".join(str(tree.tree) for tree in stale)
                files = {path: why for tree in stale for path, why in stale_files(tree).items()}
                hint = render_command(values, output_dir)
                raise DriftError(f"output is stale for {names}; run {hint}", files=files)
            if verbose or _interactive():
                click.echo(f"{len(docs)} cluster(s) up to date in {output_dir}", err=True)
            return
        for tree in trees:
            apply_changes(tree)
    _report_written(trees, len(docs), verbose=verbose)


def _report_written(trees: list[TreeChanges], clusters: int, *, verbose: bool) -> None:
    """What a render did. Removals are always named (a prune must never be silent)."""
    for tree in trees:
        if verbose:
            for name in tree.write:
                click.echo(f"wrote {tree.tree / name}", err=True)
        for name in tree.remove:
            click.echo(f"removed {tree.tree / name}", err=True)
        if tree.orphan:
            left = " (folder kept: other files remain)"
            click.echo(
                f"pruned {tree.tree}: {tree.orphan}; {len(tree.remove)} generated file(s) removed"
                + (left if tree.tree.exists() else ""),
                err=True,
            )
    if verbose or _interactive() or any(tree.remove for tree in trees):
        written = sum(len(tree.write) for tree in trees)
        unchanged = sum(len(tree.unchanged) for tree in trees)
        removed = sum(len(tree.remove) for tree in trees)
        click.echo(
            f"{clusters} cluster(s): {written} file(s) written, {unchanged} unchanged, "
            f"{removed} removed",
            err=True,
        )


def render_command(values: Iterable[Path], output_dir: Path) -> str:
    """The command that renders these values, as a user types it (an installed tool may run
    where no Makefile is)."""
    words = ["nfs-gitops", "render", *map(str, values), "--output-dir", str(output_dir)]
    return " ".join(shlex.quote(word) for word in words)


def _interactive() -> bool:
    """Whether a person watches stderr (a terminal): then progress and a summary go there."""
    return sys.stderr.isatty()


def _progress(items: list[T], label: str) -> AbstractContextManager[Iterable[T]]:
    if _interactive():
        return click.progressbar(items, label=label, file=sys.stderr)
    return nullcontext(items)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of values files (draft 2020-12)."""
    from generator.schema import schema_text

    click.echo(schema_text(), nl=False)


@cli.command("kubernetes-versions")
def kubernetes_versions() -> None:
    """Print the supported Kubernetes versions (values key kubernetesVersion), oldest first."""
    from generator.schema import kubernetes_versions

    click.echo("\n".join(kubernetes_versions()))


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
    from generator.doctor.probe import FAIL, diagnose, export_of, nfs_client
    from generator.values.fleet import load_valid

    docs = load_valid(values)
    nfs_client()  # say how to install the extra before anything else
    exports = [export_of(doc.data) for doc in docs]
    fmt = chosen_format()
    checks = diagnose(exports, timeout=timeout, each=doctor_report.live(fmt))
    doctor_report.finish(fmt, checks)
    for note in default_class_notes(docs):  # what the export probe cannot see: the cluster
        click.echo(note, err=True)
    click.get_current_context().exit(1 if any(c.status == FAIL for c in checks) else 0)


def _supported_versions(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    from generator.schema import unsupported

    why = unsupported(value)
    if why:
        raise click.BadParameter(why)
    return value


@cli.command()
@click.argument("trees", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--kubernetes-version",
    "versions",
    multiple=True,
    metavar="1.N",
    callback=_supported_versions,
    help="Check this version only (repeatable). Default: every supported version.",
)
@click.option(
    "--schema-location",
    "locations",
    multiple=True,
    metavar="TEMPLATE",
    help="kubeconform -schema-location (repeatable; a folder, URL template or 'default'). "
    "Default: the offline schemas `make schemas` writes to .cache/schemas of the clone "
    "(searched from the working folder upwards), built-in kinds and Flux/Argo CD resources.",
)
def kubeconform(
    trees: tuple[Path, ...], versions: tuple[str, ...], locations: tuple[str, ...]
) -> None:
    """Check rendered trees with kubeconform -strict: their resource files and their
    kustomize build output, for each Kubernetes version. Needs kubeconform and kustomize in
    ./bin (make tools) or on PATH. Problems: FILE: Kind/name: message. (Formerly `lint`,
    still accepted.)"""
    from generator.errors import LintError
    from generator.lint import lint_trees

    report = lint_trees(trees, versions, locations)
    for summary in report.summaries:
        click.echo(str(summary))
    for finding in report.findings:
        click.echo(str(finding), err=True)
    if report.findings:
        names = ", ".join(str(tree) for tree in trees)
        raise LintError(f"{len(report.findings)} problem(s) in {names}")


# The old name of `kubeconform`, kept for scripts and hooks written against it.
cli.add_command(copy.copy(kubeconform), "lint")
cli.commands["lint"].hidden = True


def main() -> None:
    cli(prog_name="nfs-gitops")
