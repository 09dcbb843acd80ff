"""`init` and `adopt`: write a new values file (validated first, never over an existing one)."""

from __future__ import annotations

from pathlib import Path

import click

from generator.cli.app import cli
from generator.cli.options import NonEmptyPath, engine_options
from generator.cli.render import render_command


def new_values_file(cluster: str, output: Path | None, engine: str, repo_url: str | None) -> Path:
    """The file init and adopt write (--output, else values/CLUSTER.yaml), once the engine
    options make sense together."""
    if engine == "argocd" and not repo_url:
        raise click.UsageError("--engine argocd needs --repo-url (where Argo CD reads output/)")
    return output if output is not None else Path("values") / f"{cluster}.yaml"


def parse_export(text: str) -> tuple[str, str, str]:
    """NAME=SERVER:PATH (the path absolute; an IPv6 server in brackets or bare) as a triple."""
    name, equals, rest = text.partition("=")
    server, colon, path = rest.partition(":/")
    if not (equals and colon and name and server):
        raise click.BadParameter(f"{text!r} is not NAME=SERVER:PATH", param_hint="--export")
    if server.startswith("[") and server.endswith("]"):
        server = server[1:-1]
    return name, server, "/" + path


@cli.command()
@click.option("--cluster", required=True, help="Cluster name (DNS-1123 label).")
@click.option("--server", help="NFS server: IPv4, IPv6 or DNS name (with --path).")
@click.option("--path", "nfs_path", help="Absolute path of the NFS export (with --server).")
@click.option(
    "--export",
    "exports",
    multiple=True,
    metavar="NAME=SERVER:PATH",
    help="An export of a cluster with several, instead of --server/--path; repeat it for each "
    "(the first one's class is the default). IPv6: NAME=[fd00::3]:/data.",
)
@engine_options
@click.option(
    "--output",
    type=NonEmptyPath(dir_okay=False, path_type=Path),
    help="File to create.  [default: values/CLUSTER.yaml]",
)
def init(
    cluster: str,
    server: str | None,
    nfs_path: str | None,
    exports: tuple[str, ...],
    engine: str,
    repo_url: str | None,
    output: Path | None,
) -> None:
    """Write a commented values file for a new cluster; never overwrites one.

    The file is validated (over the _defaults.yaml beside it, if any) before it is written.
    """
    from generator.model.checks import name_problems
    from generator.scaffold.init import schema_reference, values_text, write_new
    from generator.values.fleet import validate_new

    if exports and (server or nfs_path):
        raise click.UsageError("give --server and --path, or --export, not both")
    if not exports and not (server and nfs_path):
        raise click.UsageError("give --server and --path (one export), or --export for each")
    target = new_values_file(cluster, output, engine, repo_url)
    text = values_text(
        cluster=cluster,
        server=server,
        path=nfs_path,
        exports=[parse_export(each) for each in exports],
        engine=engine,
        repo_url=repo_url,
        schema_ref=schema_reference(target),
    )
    validate_new(text.encode("utf-8"), target, name_problems)
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
    from generator.scaffold.adopt import adopt as adopt_release
    from generator.scaffold.adopt_chart import Request
    from generator.scaffold.init import schema_reference
    from generator.scaffold.runbook import runbook

    target = new_values_file(cluster, output, engine, repo_url)
    if target_namespace == release_namespace:
        raise click.UsageError(
            f"--target-namespace must differ from the release's namespace ({release_namespace}): "
            "the runbook retires the manual release after the tree's provisioner runs"
        )
    # The options are the request's fields, but for the two the command names differently.
    given = click.get_current_context().params
    kept = {
        key: value for key, value in given.items() if key not in ("release_namespace", "output")
    }
    request = Request(**kept, namespace=release_namespace, target=target)
    result = adopt_release(request, schema_reference(target))
    click.echo(f"wrote {target}", err=True)
    for key in result.adoption.not_mapped:
        click.echo(f"not mapped: {key}", err=True)
    for change in result.adoption.changed:
        click.echo(f"changed: {change}", err=True)
    click.echo(runbook(result.takeover), nl=False)
