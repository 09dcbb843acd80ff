"""Root filesystems the node installer's script runs in, as the pod runs it after `nsenter -t 1`.

Two kinds: a real Debian userland (debootstrap --variant=minbase, cached as a tarball in .cache and
unpacked afresh for every test) and small fake roots whose /etc/os-release names a distribution and
whose package managers are recording stand-ins. Both are entered with chroot, so they need root.

Every mount is made under WORK and undone in a `finally`; `sweep()` also undoes what a killed run
left behind before anything under WORK is deleted.

    python -m tests.e2e.node_roots build --suite bookworm --output .cache/node-installer/x.tar
    python -m tests.e2e.node_roots clean
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from . import apt_sources

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "node-installer"
WORK = CACHE / "work"
SUITE = "bookworm"
TARBALL = CACHE / f"debian-{SUITE}-minbase.tar"
# The environment the script has after nsenter: the init image's PATH (docker.io/library/busybox
# sets exactly this one), HOME from the container runtime, HOSTNAME from kubelet.
POD_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "HOSTNAME": "node-1",
}
# Package managers the script may call; the fake roots hold a recording stand-in for each.
MANAGERS = ("apt-get", "dnf", "yum", "zypper", "apk", "pacman")
RECORD = "nfs-gitops-test.record"
# Host programs copied into fake roots, besides the shell: what the script and stand-ins call.
HOST_TOOLS = {"usr/bin/rm": "rm", "usr/bin/chmod": "chmod"}
# /bin/sh of each family: dash (Debian, Ubuntu), bash (RHEL, SUSE, Arch), busybox ash (Alpine).
SHELLS = ("dash", "bash", "busybox")


def installer_command(manifest: Path) -> list[str]:
    """What the init container runs once nsenter has entered the host: ["/bin/sh", "-c", script].

    Read from the rendered DaemonSet itself, so the test runs exactly what a node would.
    """
    docs: list[Any] = [d for d in yaml.safe_load_all(manifest.read_text()) if d]
    (daemonset,) = [d for d in docs if d.get("kind") == "DaemonSet"]
    (init,) = daemonset["spec"]["template"]["spec"]["initContainers"]
    command: list[str] = init["command"]
    if command[:3] != ["nsenter", "-t", "1"] or "--" not in command:
        raise ValueError(
            f"{manifest}: the init container no longer starts with nsenter -t 1 ... --"
        )
    return command[command.index("--") + 1 :] + list(init["args"])


# ---------------------------------------------------------------------------------------- mounts


def mounts_under(path: Path) -> list[Path]:
    """Mount points at or below `path`, deepest first (the order to unmount them in)."""
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        target = Path(line.split()[1].replace("\\040", " "))
        if target == path or path in target.parents:
            found.append(target)
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def umount(target: Path) -> None:
    if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(target)], check=True, capture_output=True)


@contextmanager
def mounted(target: Path, *options: str) -> Iterator[Path]:
    """`mount OPTIONS... TARGET` for the duration of the block, unmounted even on failure."""
    subprocess.run(["mount", *options, str(target)], check=True, capture_output=True)
    try:
        yield target
    finally:
        umount(target)


def mount_read_only(target: Path) -> None:
    """Make a bind mount read-only, as a node's read-only root is (EROFS on every write)."""
    subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True, capture_output=True)


def remove(path: Path) -> None:
    """Delete a work folder, never through a mount point (a leftover /proc mount, say)."""
    for target in mounts_under(path):
        umount(target)
    if mounts_under(path):
        raise RuntimeError(f"still mounted under {path}; not deleting it")
    if path.exists():
        shutil.rmtree(path)


def sweep() -> None:
    """Undo what an interrupted earlier run left under WORK."""
    remove(WORK)


# ----------------------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class Run:
    returncode: int
    lines: list[str]  # stdout and stderr interleaved, as `kubectl logs` shows them

    @property
    def ours(self) -> list[str]:
        """The script's own lines, without the package manager's output."""
        return [line for line in self.lines if line.startswith("nfs-gitops: ")]


def chroot_command(root: Path, command: Sequence[str], *, offline: bool = False) -> list[str]:
    # unshare -n: a network namespace with no interfaces, i.e. a node cut off from its mirror.
    prefix = [_host_tool("unshare"), "--net", "--"] if offline else []
    return [*prefix, _host_tool("chroot"), str(root), *command]


def _host_tool(name: str) -> str:
    # Found on this machine's PATH: the pod's environment (another PATH) is only for the script.
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found on this machine (util-linux, coreutils)")
    return found


def run(
    root: Path,
    command: Sequence[str],
    *,
    offline: bool = False,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> Run:
    result = subprocess.run(
        chroot_command(root, command, offline=offline),
        env=POD_ENV if env is None else env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    return Run(result.returncode, result.stdout.splitlines())


class Live:
    """The script running in a root while the test acts on it; its output read as it comes.

    A context manager: leaving it kills whatever the script still runs (its own session).
    """

    def __init__(self, root: Path, command: Sequence[str], env: dict[str, str] = POD_ENV) -> None:
        self.proc = subprocess.Popen(
            chroot_command(root, command),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.ended = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def wait_for_line(self, line: str, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: line in self.lines or self.ended, timeout)
            if line not in self.lines:
                state = "ended" if self.ended else f"still running after {timeout:.0f} s"
                raise AssertionError(f"script {state} without {line!r}:\n" + "\n".join(self.lines))

    def finish(self, timeout: float = 600) -> Run:
        returncode = self.proc.wait(timeout)
        self._reader.join(timeout)
        with self._changed:
            return Run(returncode, list(self.lines))

    def __enter__(self) -> Live:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def process_in(root: Path, *argv: str) -> int | None:
    """The pid of a process chrooted into `root` whose command line starts with argv, if any."""
    want = [a.encode() for a in argv]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            if cmdline[: len(want)] == want and os.readlink(entry / "root") == str(root):
                return int(entry.name)
        except OSError:  # the process ended while being looked at
            continue
    return None


def wait_until_running(root: Path, *argv: str, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = process_in(root, *argv)
        if pid is not None:
            return pid
        time.sleep(0.1)
    raise AssertionError(f"no {' '.join(argv)} ran in {root} within {timeout:.0f} s")


def wait_until_retrying(pid: int, timeout: float) -> None:
    """Until process pid sleeps between tries: apt-get, refused a lock, closes the lock file and
    sleeps a second before the next try (its wait line only shows when it ends, its output being
    a pipe), so this proves it reached the lock on any machine, however slow."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            wchan = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            wchan = ""
        if "nanosleep" in wchan:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} never slept between lock tries within {timeout:.0f} s")


# The process name unattended-upgrades has in /proc (comm is cut at 15 characters).
HOLDER_NAME = "unattended-upgr"
HOLDER = """
import fcntl, sys
with open("/proc/self/comm", "w") as comm:
    comm.write(sys.argv[2])
lock = open(sys.argv[1], "a")
fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the fcntl lock apt itself takes
print("held", flush=True)
sys.stdin.read()
"""


class LockHolder:
    """Holds one of apt's lock files the way another apt run does, until release()."""

    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path), HOLDER_NAME],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "held":
            self.release()
            raise RuntimeError(f"could not take the lock on {path}")
        self.pid = self.proc.pid

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(30)

    def __enter__(self) -> LockHolder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def snapshot(root: Path) -> dict[str, tuple[int, int, int, str]]:
    """Every path under root (not /proc) with mode, size, mtime and link target."""
    found: dict[str, tuple[int, int, int, str]] = {}
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        if here == root:
            dirs[:] = [d for d in dirs if d != "proc"]
        for name in dirs + files:
            path = here / name
            st = path.lstat()
            link = os.readlink(path) if path.is_symlink() else ""
            found[str(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns, link)
    return found


# ---------------------------------------------------------------------------------- debian roots


@contextmanager
def debian_root(name: str) -> Iterator[Path]:
    """A fresh copy of the cached Debian root, with /proc and the host's resolv.conf."""
    if not TARBALL.is_file():
        raise FileNotFoundError(f"{TARBALL} missing: run `make e2e-installer`, which builds it")
    root = WORK / name
    remove(root)
    root.mkdir(parents=True)
    try:
        subprocess.run(["tar", "-xf", str(TARBALL), "-C", str(root)], check=True)
        resolv = root / "etc" / "resolv.conf"
        resolv.unlink(missing_ok=True)
        resolv.write_text(Path("/etc/resolv.conf").read_text())
        with mounted(root / "proc", "-t", "proc", "proc"):
            yield root
    finally:
        remove(root)


def build_tarball(suite: str, output: Path, mirror: str) -> None:
    """debootstrap --variant=minbase into a temporary folder, then tar it to `output` atomically."""
    output.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="rootfs-", dir=output.parent))
    try:
        root = scratch / "root"
        subprocess.run(
            ["debootstrap", "--variant=minbase", suite, str(root), mirror],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        partial = scratch / "rootfs.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
        partial.replace(output)
    finally:
        remove(scratch)


# ------------------------------------------------------------------------------------ fake roots

STAND_IN = """#!/bin/sh
# Recording stand-in for {name}: logs its command line and "installs" mount.nfs when asked for
# an NFS client package. Exits {exit_code}.
echo "${{0##*/}} $*" >>/{record}
case " $* " in
  *" nfs-common "*|*" nfs-utils "*|*" nfs-client "*)
    if [ {exit_code} -eq 0 ] && [ {installs} = yes ]; then
      printf '#!/bin/sh\\n' >/usr/sbin/mount.nfs
      chmod 755 /usr/sbin/mount.nfs
    fi ;;
esac
{output}exit {exit_code}
"""


FAKE_FOLDERS = ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "etc", "tmp", "root", "dev")


@dataclass(frozen=True)
class StandIn:
    exit_code: int = 0
    installs: bool = True  # creates /usr/sbin/mount.nfs when it succeeds
    output: str = ""  # printed to stderr, as the real tool prints its errors


def _shared_libraries(binary: Path) -> list[Path]:
    # ldd exits 1 on a static binary (busybox-static): no libraries to copy.
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return [Path(w) for line in out.splitlines() for w in line.split() if w.startswith("/")]


def _install_host_tool(root: Path, tool: str, target: str) -> None:
    found = shutil.which(tool)
    if found is None:
        raise FileNotFoundError(
            f"{tool} not found on this machine (make e2e-installer installs it)"
        )
    _copy_host(root, Path(found), target)
    for library in _shared_libraries(Path(found)):
        _copy_host(root, library, str(library).lstrip("/"))


def _copy_host(root: Path, source: Path, target: str) -> None:
    dest = root / target
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source.resolve(), dest)


def fake_root(
    root: Path,
    os_release: str | None,
    *,
    managers: dict[str, StandIn] | None = None,
    shell: str = "dash",
) -> Path:
    """A root holding `shell` as /bin/sh, the stand-ins given (all of MANAGERS by default) and
    os-release.

    /bin and /sbin are real folders here (not merged-/usr links), so a test can place mount.nfs
    in one of them and not on PATH.
    """
    for folder in FAKE_FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    # Every node has /dev/null; the script sends errors there.
    os.mknod(root / "dev" / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    (root / "dev" / "null").chmod(0o666)
    if shell not in SHELLS:
        raise ValueError(f"shell {shell!r}: one of {SHELLS}")
    _install_host_tool(root, shell, f"bin/{shell}")
    (root / "bin" / "sh").symlink_to(shell)  # busybox runs as the applet its name says: sh
    for target, tool in HOST_TOOLS.items():
        _install_host_tool(root, tool, target)
    stand_ins = {name: StandIn() for name in MANAGERS} if managers is None else managers
    for name, spec in stand_ins.items():
        script = root / "usr" / "bin" / name
        output = f"echo {shell_quote(spec.output)} >&2\n" if spec.output else ""
        script.write_text(
            STAND_IN.format(
                name=name,
                record=RECORD,
                exit_code=spec.exit_code,
                installs="yes" if spec.installs else "no",
                output=output,
            )
        )
        script.chmod(0o755)
    if os_release is not None:
        (root / "etc" / "os-release").write_text(os_release)
    return root


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def recorded(root: Path) -> list[str]:
    record = root / RECORD
    return record.read_text().splitlines() if record.exists() else []


# ------------------------------------------------------------------------------------------- cli


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.node_roots")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="debootstrap the Debian root and cache it as a tarball")
    build.add_argument("--suite", default=SUITE)
    build.add_argument("--output", type=Path, default=TARBALL)
    build.add_argument("--mirror", help="default: the first mirror for SUITE in /etc/apt/sources*")
    sub.add_parser("clean", help="undo leftover mounts, then remove .cache/node-installer")
    args = parser.parse_args(argv)
    if args.command == "clean":
        sweep()
        remove(CACHE)
        return 0
    found = apt_sources.mirrors(apt_sources.source_files(), args.suite)
    mirror = args.mirror or (found[0] if found else "")
    if not mirror:
        print(
            f"node_roots: no apt source for {args.suite} in /etc/apt/sources.list*; "
            "pass --mirror (make e2e-installer NODE_MIRROR=URL)",
            file=sys.stderr,
        )
        return 1
    print(f"Building the Debian {args.suite} root (debootstrap, minbase) from {mirror}")
    build_tarball(args.suite, args.output, mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main())
