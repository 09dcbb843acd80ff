"""The node installer's script, run for real (issue 18).

The script is read from the rendered DaemonSet (output/homelab/node-installer.yaml) and run as the
pod runs it after `nsenter -t 1`: `/bin/sh -c SCRIPT` inside the node's root, with the pod's
environment. Nodes here are chroots: a real Debian bookworm userland (debootstrap minbase, apt
reaching the mirror this machine's apt uses), and small fake roots whose /etc/os-release names a
distribution and whose package managers are recording stand-ins. chroot needs root: `make e2e`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import node_roots
from .node_roots import (
    MANAGERS,
    POD_ENV,
    REPO,
    WORK,
    LockHolder,
    StandIn,
    debian_root,
    fake_root,
    mounted,
    recorded,
    run,
    snapshot,
)

pytestmark = pytest.mark.e2e

MANIFEST = REPO / "output" / "homelab" / "node-installer.yaml"
COMMAND = node_roots.installer_command(MANIFEST)
DEBIAN = "Debian GNU/Linux 12 (bookworm)"
BY_HAND = "install the NFS client by hand or set nodeInstaller.enabled: false"
UPDATE = "nfs-gitops: running: apt-get update -q"
INSTALL = (
    "nfs-gitops: running: apt-get install -q -y --no-install-recommends "
    "-o DPkg::Lock::Timeout=300 nfs-common"
)
INSTALLED_DEBIAN = f"nfs-gitops: NFS client installed on {DEBIAN} (/usr/sbin/mount.nfs)"
ALREADY = "nfs-gitops: NFS client already installed ({})"
MIRROR = (
    "the node needs a reachable package mirror (/etc/apt/sources.list*) or the NFS client "
    "(nfs-common) installed by hand, or set nodeInstaller.enabled: false"
)
LISTS_LOCKED = (
    "nfs-gitops: apt is locked by another apt run (apt-daily, unattended-upgrades?); "
    "waiting up to 300s"
)


@pytest.fixture(scope="session", autouse=True)
def as_root() -> None:
    if os.geteuid() != 0:
        pytest.fail("the node installer tests chroot: run them as root (make e2e)", pytrace=False)
    node_roots.sweep()


@pytest.fixture
def work(request: pytest.FixtureRequest) -> Iterator[Path]:
    path = WORK / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    node_roots.remove(path)
    path.mkdir(parents=True)
    yield path
    node_roots.remove(path)


def has_nfs_client(root: Path) -> bool:
    return any((root / p).exists() for p in ("sbin/mount.nfs", "usr/sbin/mount.nfs"))


def os_release(distro_id: str, like: str | None, pretty: str) -> str:
    text = f'NAME="{pretty.split(" ")[0]}"\nID={distro_id}\n'
    if like is not None:
        text += f'ID_LIKE="{like}"\n'
    return text + f'PRETTY_NAME="{pretty}"\n'


def test_every_rendered_installer_runs_the_same_script() -> None:
    manifests = sorted(REPO.glob("output/*/node-installer.yaml"))
    assert MANIFEST in manifests
    for manifest in manifests:
        assert node_roots.installer_command(manifest) == COMMAND, manifest
    assert COMMAND[:2] == ["/bin/sh", "-c"] and len(COMMAND) == 3


# ------------------------------------------------------------------------------- a real Debian


def test_debian_installs_then_finds_it_installed() -> None:
    with debian_root("debian-install") as root:
        assert not has_nfs_client(root)
        absent = run(root, ["/bin/sh", "-c", "command -v mount.nfs"])
        assert absent.returncode != 0 and absent.lines == []

        first = run(root, COMMAND)
        assert first.returncode == 0, "\n".join(first.lines)
        assert first.ours == [UPDATE, INSTALL, INSTALLED_DEBIAN]
        assert first.lines[-1] == INSTALLED_DEBIAN
        assert (root / "sbin" / "mount.nfs").is_file()
        assert os.access(root / "sbin" / "mount.nfs", os.X_OK)
        assert "Setting up nfs-common" in "\n".join(first.lines)

        before = snapshot(root)
        second = run(root, COMMAND)
        assert second.returncode == 0
        assert second.lines == [ALREADY.format("/usr/sbin/mount.nfs")]
        assert snapshot(root) == before
        print("\n".join(["# first run", *first.lines, "# second run", *second.lines]))


def test_debian_waits_for_the_lists_lock() -> None:
    """apt-daily holds the lists lock at boot; apt-get update fails at once, the script waits."""
    with debian_root("debian-lists-lock") as root:
        lock = root / "var" / "lib" / "apt" / "lists" / "lock"
        with LockHolder(lock) as holder, node_roots.Live(root, COMMAND) as live:
            live.wait_for_line(LISTS_LOCKED, timeout=120)
            time.sleep(6)  # one more attempt while it is still held
            assert node_roots.process_in(root, "/bin/sh") is not None
            holder.release()
            result = live.finish()
        assert result.returncode == 0, "\n".join(result.lines)
        assert result.ours == [UPDATE, LISTS_LOCKED, INSTALL, INSTALLED_DEBIAN]
        held = (
            "E: Could not get lock /var/lib/apt/lists/lock. "
            f"It is held by process {holder.pid} (unattended-upgr)"
        )
        assert held in result.lines
        assert result.lines.index(held) < result.lines.index(LISTS_LOCKED)
        assert has_nfs_client(root)


def test_debian_install_waits_for_the_dpkg_lock() -> None:
    """unattended-upgrades holds the dpkg lock; apt-get install waits with DPkg::Lock::Timeout."""
    with debian_root("debian-dpkg-lock") as root:
        lock = root / "var" / "lib" / "dpkg" / "lock-frontend"
        with LockHolder(lock) as holder, node_roots.Live(root, COMMAND) as live:
            # Release the lock only once apt-get install waits for it (not before it got there).
            pid = node_roots.wait_until_running(root, "apt-get", "install", timeout=120)
            node_roots.wait_until_retrying(pid, timeout=240)
            time.sleep(2)  # a few more tries: it is waiting, not failing
            assert node_roots.process_in(root, "apt-get", "install") == pid
            holder.release()
            result = live.finish()
        assert result.returncode == 0, "\n".join(result.lines)
        assert result.ours == [UPDATE, INSTALL, INSTALLED_DEBIAN]
        waiting = (
            "Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. "
            f"It is held by process {holder.pid} (unattended-upgr)..."
        )
        assert waiting in result.lines
        assert has_nfs_client(root)


@pytest.mark.parametrize("lists", ["stale", "none"])
def test_debian_without_network_to_the_mirror(lists: str) -> None:
    """No route to the mirror: apt-get update only warns (exit 0), the install then fails."""
    with debian_root(f"debian-offline-{lists}") as root:
        if lists == "none":  # a node whose package lists were cleaned (most cloud images)
            for path in (root / "var" / "lib" / "apt" / "lists").glob("*_*"):
                path.unlink()
        result = run(root, COMMAND, offline=True)
        assert result.returncode == 1
        assert result.ours == [
            UPDATE,
            INSTALL,
            "nfs-gitops: apt-get install failed (exit 100): a package mirror is out of reach; "
            + MIRROR,
        ]
        assert result.lines[-1] == result.ours[-1]
        # apt's own words stay above ours: update only warned, the install is what failed.
        uri = sources_uri(root)
        assert (
            f"W: Failed to fetch {uri}/dists/bookworm/InRelease  Temporary failure resolving "
            f"'{uri.split('/')[2]}'"
        ) in result.lines
        assert {
            "stale": "E: Unable to fetch some archives, maybe run apt-get update or try with "
            "--fix-missing?",
            "none": "E: Package 'nfs-common' has no installation candidate",
        }[lists] in result.lines
        assert not has_nfs_client(root)


def sources_uri(root: Path) -> str:
    """The mirror debootstrap wrote into the root's sources.list (this machine's apt mirror)."""
    (line,) = (root / "etc" / "apt" / "sources.list").read_text().splitlines()
    deb, uri, suite, component = line.split()
    assert (deb, suite, component) == ("deb", "bookworm", "main")
    return uri.rstrip("/")


def test_debian_failed_update() -> None:
    """A suite the mirror does not serve (a release moved to the archive, say): update fails."""
    with debian_root("debian-bad-suite") as root:
        uri = sources_uri(root)
        (root / "etc" / "apt" / "sources.list").write_text(
            f"deb {uri} nfs-gitops-no-such-suite main\n"
        )
        result = run(root, COMMAND)
        assert result.returncode == 1
        assert result.ours == [
            UPDATE,
            "nfs-gitops: apt-get update failed (exit 100); see apt's errors above; "
            f"fix the node's apt sources, or {BY_HAND}",
        ]
        missing = f"E: The repository '{uri} nfs-gitops-no-such-suite Release' does not have a "
        assert missing + "Release file." in result.lines
        assert not has_nfs_client(root)


def test_debian_read_only_root(work: Path) -> None:
    with debian_root("debian-read-only") as root:
        view = work / "view"
        view.mkdir()
        with mounted(view, "--bind", str(root)):
            node_roots.mount_read_only(view)
            before = snapshot(root)
            result = run(view, COMMAND)
        assert result.returncode == 1
        assert result.lines == [
            f"nfs-gitops: the root filesystem of {DEBIAN} is read-only (/usr is not writable); "
            "use a node image with the NFS client or set nodeInstaller.enabled: false"
        ]
        assert snapshot(root) == before


# ---------------------------------------------------------------- every distribution branch

APT = ["apt-get update -q", "apt-get install -q -y --no-install-recommends "
       "-o DPkg::Lock::Timeout=300 nfs-common"]  # fmt: skip
DNF = ["dnf install -y nfs-utils"]
YUM = ["yum install -y nfs-utils"]
ZYPPER = ["zypper --non-interactive install nfs-client"]
APK = ["apk add --no-cache nfs-utils"]
PACMAN = ["pacman -Sy --noconfirm --needed nfs-utils"]

# (ID, ID_LIKE, PRETTY_NAME as the distribution ships them, its /bin/sh, package managers absent,
# commands recorded)
BRANCHES = [
    ("debian", None, "Debian GNU/Linux 12 (bookworm)", "dash", (), APT),
    ("ubuntu", "debian", "Ubuntu 24.04.1 LTS", "dash", (), APT),
    ("linuxmint", "ubuntu debian", "Linux Mint 22", "dash", (), APT),
    ("rhel", "fedora", "Red Hat Enterprise Linux 9.4 (Plow)", "bash", (), DNF),
    ("centos", "rhel fedora", "CentOS Stream 9", "bash", (), DNF),
    ("centos", "rhel fedora", "CentOS Linux 7 (Core)", "bash", ("dnf",), YUM),
    ("fedora", None, "Fedora Linux 40 (Server Edition)", "bash", (), DNF),
    ("rocky", "rhel centos fedora", "Rocky Linux 9.4 (Blue Onyx)", "bash", (), DNF),
    ("almalinux", "rhel centos fedora", "AlmaLinux 9.4 (Seafoam Ocelot)", "bash", (), DNF),
    ("ol", "fedora", "Oracle Linux Server 9.4", "bash", (), DNF),
    ("amzn", "fedora", "Amazon Linux 2023.5.20240805", "bash", (), DNF),
    ("amzn", "centos rhel fedora", "Amazon Linux 2", "bash", ("dnf",), YUM),
    ("sles", "suse", "SUSE Linux Enterprise Server 15 SP6", "bash", (), ZYPPER),
    ("opensuse-leap", "suse opensuse", "openSUSE Leap 15.6", "bash", (), ZYPPER),
    ("opensuse-tumbleweed", "opensuse suse", "openSUSE Tumbleweed", "bash", (), ZYPPER),
    ("alpine", None, "Alpine Linux v3.20", "busybox", (), APK),
    ("arch", None, "Arch Linux", "bash", (), PACMAN),
    ("manjaro", "arch", "Manjaro Linux", "bash", (), PACMAN),
]
Branch = tuple[str, str | None, str, str, tuple[str, ...], list[str]]


def branch_id(case: Branch) -> str:
    return f"{case[2]} ({case[3]})"


@pytest.mark.parametrize("case", BRANCHES, ids=branch_id)
def test_branch_runs_its_package_manager(work: Path, case: Branch) -> None:
    distro_id, like, pretty, shell, absent, commands = case
    present = {name: StandIn() for name in MANAGERS if name not in absent}
    release = os_release(distro_id, like, pretty)
    root = fake_root(work / "root", release, managers=present, shell=shell)
    assert not has_nfs_client(root)
    result = run(root, COMMAND)
    assert result.returncode == 0, result.lines
    assert recorded(root) == commands
    assert result.lines == [f"nfs-gitops: running: {c}" for c in commands] + [
        f"nfs-gitops: NFS client installed on {pretty} (/usr/sbin/mount.nfs)"
    ]
    # The write probe leaves nothing behind.
    assert not (root / "usr" / ".nfs-gitops-write-test").exists()


UNKNOWN = [
    ("talos", None, "Talos (v1.8.0)"),
    ("flatcar", "coreos", "Flatcar Container Linux by Kinvolk 3975.2.0 (Oklo)"),
    ("bottlerocket", None, "Bottlerocket OS 1.20.0 (aws-k8s-1.30)"),
]


@pytest.mark.parametrize("case", UNKNOWN, ids=[c[0] for c in UNKNOWN])
def test_unknown_os_fails_naming_the_switch(work: Path, case: tuple[str, str | None, str]) -> None:
    distro_id, like, pretty = case
    root = fake_root(work / "root", os_release(distro_id, like, pretty))
    result = run(root, COMMAND)
    assert result.returncode == 1
    assert result.lines == [
        f"nfs-gitops: cannot install an NFS client on ID={distro_id} ID_LIKE={like or '?'}; "
        + BY_HAND
    ]
    assert recorded(root) == []


def test_no_os_release_fails_naming_the_switch(work: Path) -> None:
    root = fake_root(work / "root", None)
    result = run(root, COMMAND)
    assert result.returncode == 1
    assert result.lines == [f"nfs-gitops: /etc/os-release missing; {BY_HAND}"]
    assert recorded(root) == []


# ------------------------------------------------------------------------ failures real nodes hit

MISSING = [
    ("debian", None, "Debian GNU/Linux 12 (bookworm)", "dash", ("apt-get",), "apt-get"),
    ("rocky", "rhel centos fedora", "Rocky Linux 9.4", "bash", ("dnf", "yum"), "dnf or yum"),
    ("sles", "suse", "SUSE Linux Enterprise Server 15 SP6", "bash", ("zypper",), "zypper"),
    ("alpine", None, "Alpine Linux v3.20", "busybox", ("apk",), "apk"),
    ("arch", None, "Arch Linux", "bash", ("pacman",), "pacman"),
]


@pytest.mark.parametrize("case", MISSING, ids=[c[5] for c in MISSING])
def test_missing_package_manager(
    work: Path, case: tuple[str, str | None, str, str, tuple[str, ...], str]
) -> None:
    distro_id, like, pretty, shell, absent, named = case
    present = {name: StandIn() for name in MANAGERS if name not in absent}
    release = os_release(distro_id, like, pretty)
    root = fake_root(work / "root", release, managers=present, shell=shell)
    result = run(root, COMMAND)
    assert result.returncode == 1
    assert result.lines == [f"nfs-gitops: {named} not found on {pretty}; {BY_HAND}"]
    assert recorded(root) == []


@pytest.mark.parametrize(
    ("where", "path"),
    [("/sbin/mount.nfs", "/usr/bin:/bin"), ("/usr/sbin/mount.nfs", "/usr/bin:/bin"),
     ("/usr/local/bin/mount.nfs", POD_ENV["PATH"])],
)  # fmt: skip
def test_mount_nfs_found_on_or_off_path(work: Path, where: str, path: str) -> None:
    root = fake_root(work / "root", os_release("debian", None, DEBIAN))
    helper = root / where.lstrip("/")
    helper.write_text("#!/bin/sh\n")
    helper.chmod(0o755)
    before = snapshot(root)
    result = run(root, COMMAND, env={**POD_ENV, "PATH": path})
    assert result.returncode == 0
    assert result.lines == [ALREADY.format(where)]
    assert recorded(root) == []
    assert snapshot(root) == before


def test_read_only_root_on_a_fake_node(work: Path) -> None:
    release = os_release("rocky", "rhel centos fedora", "Rocky Linux 9.4")
    root = fake_root(work / "root", release, shell="bash")
    view = work / "view"
    view.mkdir()
    with mounted(view, "--bind", str(root)):
        node_roots.mount_read_only(view)
        result = run(view, COMMAND)
    assert result.returncode == 1
    assert result.lines == [
        "nfs-gitops: the root filesystem of Rocky Linux 9.4 is read-only (/usr is not writable); "
        "use a node image with the NFS client or set nodeInstaller.enabled: false"
    ]
    assert recorded(root) == []


def test_package_manager_fails(work: Path) -> None:
    pretty = "Rocky Linux 9.4 (Blue Onyx)"
    managers = {name: StandIn() for name in MANAGERS}
    managers["dnf"] = StandIn(exit_code=1, output="Error: Failed to download metadata for repo")
    release = os_release("rocky", "rhel", pretty)
    root = fake_root(work / "root", release, managers=managers, shell="bash")
    result = run(root, COMMAND)
    assert result.returncode == 1
    assert result.lines == [
        "nfs-gitops: running: dnf install -y nfs-utils",
        "Error: Failed to download metadata for repo",
        f"nfs-gitops: dnf install -y nfs-utils failed (exit 1) on {pretty}; the node needs a "
        f"reachable package mirror, or {BY_HAND}",
    ]
    assert recorded(root) == DNF and not has_nfs_client(root)


def test_package_manager_succeeds_without_mount_nfs(work: Path) -> None:
    managers = {name: StandIn() for name in MANAGERS}
    managers["apk"] = StandIn(installs=False)
    root = fake_root(
        work / "root",
        os_release("alpine", None, "Alpine Linux v3.20"),
        managers=managers,
        shell="busybox",
    )
    result = run(root, COMMAND)
    assert result.returncode == 1
    assert result.lines == [
        "nfs-gitops: running: apk add --no-cache nfs-utils",
        f"nfs-gitops: apk finished but mount.nfs is still missing on Alpine Linux v3.20; {BY_HAND}",
    ]
    assert recorded(root) == APK
