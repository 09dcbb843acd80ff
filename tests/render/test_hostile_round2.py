"""Hostile values, round 2 (issue 12): one regression test per example of each family.

Each refusal is checked for its exact lines (file:line:column: field: message [code]), its exit
code, that nothing was written under the output folder, and that it came within 10 seconds (a
timer interrupts a hang, so a regression fails instead of blocking the suite).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.output.lock import LOCK_NAME

LIMIT = 10.0  # seconds, the bound for every refusal
BASE = "cluster: c\nnfs:\n  server: 192.168.1.2\n  path: /data\n"


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail if the block takes longer than seconds; a blocked open() is interrupted."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < seconds


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "values").mkdir()
    return tmp_path


def render(*args: str, check: bool = False) -> tuple[int, list[str]]:
    """Run `render ARGS --output-dir out`; the exit code and the stderr lines."""
    extra = ["--check"] if check else []
    with within(LIMIT):
        result = CliRunner().invoke(cli, ["render", *args, "--output-dir", "out", *extra])
    assert not isinstance(result.exception, TimeoutError | AssertionError), result.exception
    return result.exit_code, result.stderr.splitlines()


def refused(name: str, text: str, *lines: str) -> None:
    """values/NAME.yaml holding text is refused with exactly these problem lines."""
    path = Path("values") / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    code, err = render(str(path))
    assert err == [*lines, f"nfs-gitops: {len(lines)} problem(s); nothing written"]
    assert code == 1
    assert not Path("out").exists(), "a refused values file must write nothing"


# --- 1. namespaces that are not ours ------------------------------------------------------

OWN = "the tree would own it (declare it, relabel its Pod Security level, delete it on prune); "
OWN += "use a namespace of its own, such as nfs-provisioner [namespace-reserved]"
BESIDE = "and its pods would run beside the engine's: "


@pytest.mark.parametrize("name", ["kube-system", "kube-public", "kube-node-lease", "default"])
def test_cluster_namespaces_are_never_declared(work: Path, name: str) -> None:
    refused(
        "ns",
        BASE + f"namespace: {name}\n",
        f"values/ns.yaml:5:12: namespace: {name!r} belongs to the cluster: {OWN}",
    )


def test_installer_never_in_default(work: Path) -> None:
    refused(
        "ns",
        BASE + "nodeInstaller:\n  namespace: default\n",
        f"values/ns.yaml:6:14: nodeInstaller.namespace: 'default' belongs to the cluster: {OWN}",
    )


def test_installer_never_beside_flux(work: Path) -> None:
    refused(
        "ns",
        BASE + "nodeInstaller:\n  namespace: flux-system\n",
        "values/ns.yaml:6:14: nodeInstaller.namespace: 'flux-system' is the GitOps engine's "
        f"namespace (gitops.flux.namespace), {BESIDE}{OWN}",
    )


def test_configured_flux_namespace_is_the_engines(work: Path) -> None:
    refused(
        "ns",
        BASE + "namespace: flux-ops\ngitops:\n  flux: {namespace: flux-ops}\n",
        "values/ns.yaml:5:12: namespace: 'flux-ops' is the GitOps engine's namespace "
        f"(gitops.flux.namespace), {BESIDE}{OWN}",
    )


def test_argocd_namespace_is_the_engines(work: Path) -> None:
    refused(
        "ns",
        BASE + "namespace: argocd\ngitops:\n  engine: argocd\n  repoURL: https://e.com/r.git\n",
        "values/ns.yaml:5:12: namespace: 'argocd' is the GitOps engine's namespace "
        f"(gitops.argocd.namespace), {BESIDE}{OWN}",
    )


def test_flux_system_is_reserved_whatever_the_engine(work: Path) -> None:
    refused(
        "ns",
        BASE + "namespace: flux-system\ngitops: {engine: kustomize}\n",
        "values/ns.yaml:5:12: namespace: 'flux-system' is the GitOps engine's namespace "
        f"(Flux's standard namespace), {BESIDE}{OWN}",
    )


# --- 2. values the chart reads back unquoted ----------------------------------------------

UNQUOTED = (
    "avoid ' #', ': ', outer blanks, a leading YAML indicator and yes/no/number-like values "
    "[chart-unquoted]"
)


def test_comment_in_the_path_is_refused(work: Path) -> None:
    refused(
        "p",
        BASE.replace("/data", "'/exports/k8s #tenant-b'"),
        "values/p.yaml:4:9: nfs.path: the chart writes it unquoted into YAML, where it reads "
        f"back as '/exports/k8s'; {UNQUOTED}",
    )


def test_colon_space_in_the_path_is_refused(work: Path) -> None:
    refused(
        "p",
        BASE.replace("/data", "'/exports/k8s: x'"),
        "values/p.yaml:4:9: nfs.path: the chart writes it unquoted into YAML, where it is not "
        f"a plain value (it breaks the chart's YAML); {UNQUOTED}",
    )


@pytest.mark.parametrize(
    ("key", "value", "line", "column"),
    [("namespace", "'y'", 5, 12), ("chart:\n  releaseName", "'1e3'", 6, 16)],
)
def test_names_yaml_reads_as_other_types_are_refused(
    work: Path, key: str, value: str, line: int, column: int
) -> None:
    field = "namespace" if key == "namespace" else "chart.releaseName"
    refused(
        "p",
        BASE + f"{key}: {value}\n",
        f"values/p.yaml:{line}:{column}: {field}: the chart writes it unquoted into YAML, where "
        f"it reads as a boolean, null, number or date; {UNQUOTED}",
    )


def test_zone_id_has_its_own_rule(work: Path) -> None:
    refused(
        "p",
        BASE.replace("192.168.1.2", "'fe80::1%eth0 #x'"),
        "values/p.yaml:3:11: nfs.server: the chart writes it unquoted into YAML, where it reads "
        f"back as 'fe80::1%eth0'; {UNQUOTED}",
        "values/p.yaml:3:11: nfs.server: zone id 'eth0 #x' is not an interface name (at most 15 "
        "letters, digits, '_', '.' or '-', starting with a letter or digit) [nfs-server]",
    )


def test_a_plain_zone_id_is_accepted(work: Path) -> None:
    Path("values/z.yaml").write_text(BASE.replace("192.168.1.2", "fe80::1%eth0"))
    assert render("values/z.yaml") == (0, [])


# --- 3. mount options ---------------------------------------------------------------------


def options(*items: str) -> str:
    return BASE + "  mountOptions: [" + ", ".join(f"'{item}'" for item in items) + "]\n"


def test_a_comma_cannot_smuggle_options(work: Path) -> None:
    refused(
        "m",
        options("hard", "clientaddr=fe80::1%x,soft,nolock,vers=2"),
        "values/m.yaml:5:26: nfs.mountOptions[1]: holds a ',': the kubelet joins mount options "
        "with commas, so this would add options nobody checked; give one option per list item "
        "[mount-option]",
    )


@pytest.mark.parametrize(
    ("option", "shown", "hint"),
    [
        ("timeo=٣٠٠", "timeo: '٣٠٠'", "from 1 to 6000000"),
        ("port=２٠٤٩", "port: '２٠٤٩'", "from 0 to 65535"),
        ("timeo=²", "timeo: '²'", "from 1 to 6000000"),
    ],
)
def test_numbers_are_ascii_digits(work: Path, option: str, shown: str, hint: str) -> None:
    refused(
        "m",
        options(option),
        f"values/m.yaml:5:18: nfs.mountOptions[0]: invalid value for {shown} (a whole number "
        f"{hint} in ASCII digits) [mount-option]",
    )


# --- 4. tracebacks become located problems ------------------------------------------------


def test_tags_that_do_not_fit_their_text(work: Path) -> None:
    refused(
        "t",
        "cluster: !!bool maybe\nnfs: {server: !!int abc, path: !!float ''}\n"
        "provisioner: {replicas: !!int ''}\n",
        'values/t.yaml:1:10: cluster: "maybe" is not a valid !!bool [yaml-tag]',
        'values/t.yaml:2:15: nfs.server: "abc" is not a valid !!int [yaml-tag]',
        'values/t.yaml:2:32: nfs.path: "" is not a valid !!float [yaml-tag]',
        'values/t.yaml:3:25: provisioner.replicas: "" is not a valid !!int [yaml-tag]',
    )


def test_tags_on_mappings_and_lists(work: Path) -> None:
    refused(
        "t",
        BASE + "storageClass: !!python/object/apply:os.system {name: x}\n"
        "nodeInstaller:\n  tolerations: !evil [1]\n",
        "values/t.yaml:5:15: storageClass: unsupported YAML tag !!python/object/apply:os.system "
        "[yaml-tag]",
        "values/t.yaml:7:16: nodeInstaller.tolerations: unsupported YAML tag !evil [yaml-tag]",
    )


@pytest.mark.parametrize("where", ["x", "tolerationSeconds"])
def test_huge_integers(work: Path, where: str) -> None:
    huge = "0x" + "f" * 4000
    if where == "x":  # where the schema refuses the key anyway
        text, position, field = BASE + f"x: {huge}\n", "5:4", "x"
    else:  # where the schema lets it through
        text = BASE + "nodeInstaller:\n  tolerations:\n    - {operator: Exists, "
        text += f"effect: NoExecute, tolerationSeconds: {huge}}}\n"
        position, field = "7:64", "nodeInstaller.tolerations[0].tolerationSeconds"
    refused(
        "t",
        text,
        f"values/t.yaml:{position}: {field}: whole number beyond 64 bits; refused [limit-integer]",
    )


def test_long_file_name_component(work: Path) -> None:
    name = "values/" + "a" * 300 + "/c.yaml"
    code, err = render(name)
    assert err == [
        f"{name}:1:1: (root): cannot read: File name too long [file-unreadable]",
        "nfs-gitops: 1 problem(s); nothing written",
    ]
    assert code == 1 and not Path("out").exists()


def test_long_output_folder_name_under_check(work: Path) -> None:
    Path("values/c.yaml").write_text(BASE)
    long = "o" * 300
    with within(LIMIT):
        result = CliRunner().invoke(cli, ["render", "values/c.yaml", "--output-dir", long])
    assert result.stderr == (
        f"nfs-gitops: cannot create {long}: File name too long [output-unwritable]\n"
    )
    assert result.exit_code == 1


def as_nobody(run: Callable[[], tuple[int, str]]) -> tuple[int, str]:
    """Run a CLI invocation in a child process that dropped root (uid/gid 65534): CI runs as
    root, where permission bits stop nothing. The modules are already imported here."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns to pytest
        status = 70
        try:
            os.close(read)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            exit_code, err = run()
            os.write(write, f"{exit_code}\n{err}".encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    with within(LIMIT), os.fdopen(read, "rb") as pipe:
        data = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, data
    code, _, text = data.partition("\n")
    return int(code), text


@pytest.mark.parametrize(
    ("named", "line"),
    [
        ("values/locked", "cannot list the folder: Permission denied"),
        ("values/locked/c.yaml", "cannot read: Permission denied"),
    ],
)
def test_unreadable_folder_as_a_non_root_user(tmp_path: Path, named: str, line: str) -> None:
    base = Path("/tmp") / f"nfs-gitops-hostile-{os.getpid()}"  # reachable by uid 65534
    (base / "values" / "locked").mkdir(parents=True)
    try:
        base.chmod(0o777)
        (base / "values").chmod(0o755)
        (base / "values" / "locked" / "c.yaml").write_text(BASE)
        (base / "values" / "locked").chmod(0o000)
        CliRunner().invoke(cli, ["validate", str(tmp_path)])  # import everything first

        def run() -> tuple[int, str]:
            os.chdir(base)
            result = CliRunner().invoke(cli, ["render", named, "--output-dir", "out"])
            return result.exit_code, result.stderr

        code, err = as_nobody(run)
        assert err.splitlines() == [
            f"{named}:1:1: (root): {line} [file-unreadable]",
            "nfs-gitops: 1 problem(s); nothing written",
        ]
        assert code == 1 and not (base / "out").exists()
    finally:
        (base / "values" / "locked").chmod(0o755)
        for path in sorted(base.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        base.rmdir()


# --- 5. no hangs --------------------------------------------------------------------------


def test_fifo_values_file(work: Path) -> None:
    os.mkfifo("values/c.yaml")
    code, err = render("values/c.yaml")
    assert err == [
        "values/c.yaml:1:1: (root): cannot read: is not a regular file (a FIFO or device?) "
        "[file-unreadable]",
        "nfs-gitops: 1 problem(s); nothing written",
    ]
    assert code == 1 and not Path("out").exists()


@pytest.mark.parametrize("check", [True, False])
def test_fifo_lock_file(work: Path, check: bool) -> None:
    Path("values/c.yaml").write_text(BASE)
    Path("out").mkdir()
    os.mkfifo(f"out/{LOCK_NAME}")
    code, err = render("values/c.yaml", check=check)
    assert err == [
        f"nfs-gitops: out/{LOCK_NAME} is not a regular file; refusing to use it as the lock "
        "[output-not-file]"
    ]
    assert code == 1
    assert os.listdir("out") == [LOCK_NAME]


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_lock_timeout_must_be_finite(work: Path, value: str) -> None:
    Path("values/c.yaml").write_text(BASE)
    code, err = render("values/c.yaml", "--lock-timeout", value)
    assert err[-1] == (
        f"Error: Invalid value for '--lock-timeout': {value} is not a finite number of seconds"
    )
    assert code == 2 and not Path("out").exists()


# --- 6. accepted here, refused by Kubernetes ----------------------------------------------


def test_toleration_seconds_needs_no_execute(work: Path) -> None:
    refused(
        "k",
        BASE + "nodeInstaller:\n  tolerations:\n"
        "    - {key: a, operator: Exists, effect: NoSchedule, tolerationSeconds: 5}\n",
        "values/k.yaml:7:73: nodeInstaller.tolerations[0].tolerationSeconds: only applies to "
        "effect NoExecute; the API server refuses it otherwise [toleration]",
    )


def test_toleration_seconds_beyond_int64(work: Path) -> None:
    refused(
        "k",
        BASE + "nodeInstaller:\n  tolerations:\n    - {operator: Exists, effect: NoExecute, "
        "tolerationSeconds: 9223372036854775808}\n",
        "values/k.yaml:7:64: nodeInstaller.tolerations[0].tolerationSeconds: whole number "
        "beyond 64 bits; refused [limit-integer]",
    )


def test_requests_above_limits(work: Path) -> None:
    refused(
        "k",
        BASE + "nodeInstaller:\n  resources: {requests: {cpu: 600m, memory: 1Gi}, "
        "limits: {cpu: 500m, memory: 1024Mi}}\n"
        "provisioner:\n  resources: {requests: {memory: 1.5Gi}, limits: {memory: 1Gi}}\n",
        "values/k.yaml:6:31: nodeInstaller.resources.requests.cpu: request 600m is above the "
        "limit 500m; the API server refuses it [resources]",
        "values/k.yaml:8:34: provisioner.resources.requests.memory: request 1.5Gi is above the "
        "limit 1Gi; the API server refuses it [resources]",
    )


def test_interval_beyond_a_go_duration(work: Path) -> None:
    refused(
        "k",
        BASE + "gitops: {interval: 9999999999h}\n",
        "values/k.yaml:5:20: gitops.interval: is longer than a Go duration can be (about "
        "2562047h); Flux cannot read it [duration]",
    )


def test_longest_go_duration_is_accepted(work: Path) -> None:
    Path("values/k.yaml").write_text(BASE + "gitops: {interval: 2562047h}\n")
    assert render("values/k.yaml") == (0, [])


def test_release_named_like_the_installer_in_a_shared_namespace(work: Path) -> None:
    refused(
        "k",
        BASE + "namespace: shared\nnodeInstaller: {namespace: shared}\n"
        "chart: {releaseName: nfs-client-installer}\n",
        "values/k.yaml:7:22: chart.releaseName: names the provisioner's ServiceAccount "
        "'nfs-client-installer', the node installer's in the same namespace 'shared'; "
        "choose another release name [name-collision]",
    )


# --- 7. secrets and templates -------------------------------------------------------------

SECRET = (
    "carries credentials (user:token@); they would be committed to Git in the rendered tree; "
    "give them to Flux or Argo CD in a Secret instead [url-credentials]"
)


def test_credentials_in_urls(work: Path) -> None:
    refused(
        "u",
        BASE + "chart: {repository: 'https://user:token@charts.example.com/'}\n"
        "gitops:\n  engine: argocd\n  repoURL: https://user:token@github.com/x/y.git\n",
        f"values/u.yaml:5:21: chart.repository: {SECRET}",
        f"values/u.yaml:8:12: gitops.repoURL: {SECRET}",
    )


def test_ssh_user_without_password_is_fine(work: Path) -> None:
    Path("values/u.yaml").write_text(
        BASE + "gitops:\n  engine: argocd\n  repoURL: ssh://git@github.com/x/y.git\n"
    )
    assert render("values/u.yaml") == (0, [])


def test_template_text_in_the_applicationset(work: Path) -> None:
    refused(
        "u",
        BASE + "gitops:\n  engine: argocd\n  repoURL: https://e.com/{{.path.basename}}.git\n"
        "  argocd: {applicationSet: true}\n",
        "values/u.yaml:7:12: gitops.repoURL: holds '{{', which Argo CD evaluates as a Go "
        "template in the ApplicationSet [template-text]",
    )


# --- 8. fleet and output folder -----------------------------------------------------------


def test_dangling_defaults_link(work: Path) -> None:
    os.symlink("nowhere.yaml", "values/_defaults.yaml")
    refused(
        "c",
        BASE,
        "values/_defaults.yaml:1:1: (root): is a symbolic link to nothing [file-unreadable]",
    )


def test_fifo_defaults(work: Path) -> None:
    os.mkfifo("values/_defaults.yaml")
    refused(
        "c",
        BASE,
        "values/_defaults.yaml:1:1: (root): cannot read: is not a regular file (a FIFO or "
        "device?) [file-unreadable]",
    )


def test_newline_in_a_file_name_cannot_forge_a_line(work: Path) -> None:
    forged = "c\nx.yaml:1:1: x: forged [nfs-server]"
    refused(
        forged,
        BASE.replace("192.168.1.2", "'999.1.1.1'"),
        '"values/c\\nx.yaml:1:1: x: forged [nfs-server].yaml":3:11: nfs.server: '
        "'999.1.1.1' is not a valid IPv4 address (each octet is 0 to 255) [nfs-server]",
    )


def test_empty_output_dir_is_a_usage_error(work: Path) -> None:
    Path("values/c.yaml").write_text(BASE)
    with within(LIMIT):
        result = CliRunner().invoke(cli, ["render", "values/c.yaml", "--output-dir", ""])
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--output-dir': must not be empty (it would mean the current "
        "folder)"
    )
    assert result.exit_code == 2 and sorted(os.listdir()) == ["values"]


def test_empty_init_output_is_a_usage_error(work: Path) -> None:
    args = ["init", "--cluster", "x", "--server", "nas", "--path", "/d", "--output", ""]
    with within(LIMIT):
        result = CliRunner().invoke(cli, args)
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--output': must not be empty (it would mean the current folder)"
    )
    assert result.exit_code == 2 and sorted(os.listdir()) == ["values"]


def test_alias_is_located_at_its_use(work: Path) -> None:
    refused(
        "a",
        "cluster: c\nnfs:\n  path: &p /d\n  server: nas\nstorageClass:\n  pathPattern: *p\n",
        "values/a.yaml:6:16: storageClass.pathPattern: must be relative to nfs.path (no leading "
        "/) [path-pattern]",
    )


def test_alias_of_a_key_is_located_at_its_use(work: Path) -> None:
    refused(
        "a",
        "cluster: c\nnfs:\n  &k server: nas\n  path: /d\nstorageClass:\n  *k : x\n",
        'values/a.yaml:6:3: storageClass.server: unknown key "server"; known keys: name, default, '
        "reclaimPolicy, archiveOnDelete, onDelete, pathPattern, volumeBindingMode, "
        "allowVolumeExpansion, mountPermissions, provisionerName [schema-unknown-key]",
    )


# --- 9. the same bytes from any working folder --------------------------------------------


def tree_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_same_bytes_from_any_working_folder(work: Path) -> None:
    Path("values/c.yaml").write_text(BASE)
    runs = [
        (work, ["values/c.yaml", "--output-dir", "output"]),
        (work, ["./values/c.yaml", "--output-dir", "./output"]),
        (work / "values", ["c.yaml", "--output-dir", "../output"]),
        (Path("/"), [str(work / "values" / "c.yaml"), "--output-dir", str(work / "output")]),
    ]
    seen = []
    for cwd, args in runs:
        os.chdir(cwd)
        result = CliRunner().invoke(cli, ["render", *args])
        assert result.exit_code == 0, result.output
        seen.append(tree_bytes(work / "output"))
        check = CliRunner().invoke(cli, ["render", "--check", *args])
        assert check.exit_code == 0, check.output
    assert all(each == seen[0] for each in seen)
    header = seen[0]["c/storageclass.yaml"].splitlines()[0]
    assert header == b"# Code generated by nfs-gitops from values/c.yaml; DO NOT EDIT."


def test_prune_from_another_folder_uses_the_same_root(work: Path) -> None:
    """Headers written from values/ are resolved by a prune run from /: one root for both."""
    for name in ("a", "b"):
        Path(f"values/{name}.yaml").write_text(BASE.replace("cluster: c", f"cluster: {name}"))
    os.chdir(work / "values")
    assert (
        CliRunner().invoke(cli, ["render", "--prune", ".", "--output-dir", "../output"]).exit_code
        == 0
    )
    (work / "values" / "b.yaml").unlink()
    os.chdir("/")
    values, output = str(work / "values"), str(work / "output")
    result = CliRunner().invoke(cli, ["render", "--prune", values, "--output-dir", output])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (work / "output").iterdir() if p.is_dir()) == ["a"]
