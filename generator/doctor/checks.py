"""doctor's records (Check, Export), its client library and the base of a probe (lines and
connections to one export)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from generator.errors import NfsGitopsError

if TYPE_CHECKING:
    from nfs_rs import Client

PASS, WARN, FAIL, NOT_CHECKED = "pass", "warn", "fail", "not checked"
SPOKEN = ("3", "4.0", "4.1")  # the NFS versions nfs-rs speaks
PREFERRED = ("4.1", "4.0", "3")  # probe order when nfsvers is not set (newest first, like mount)
NFS_PORT = 2049
CHOWN_TO = 1000  # any uid other than root and the anonymous uid
INSTALL_HINT = "pip install 'nfs-gitops[doctor]'"


class ExtraMissing(NfsGitopsError):
    """doctor needs the optional NFS client library."""

    code = "doctor-extra-missing"


@dataclass(frozen=True)
class Check:
    """One line of the report; code names the finding (stable, for scripts), fix is "" on pass."""

    cluster: str
    export: str
    check: str
    status: str
    code: str
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Export:
    cluster: str
    server: str
    path: str
    mount_options: tuple[str, ...]
    require_chown: bool

    @property
    def host(self) -> str:
        """The server as a URL or export name writes it (an IPv6 address in brackets)."""
        return f"[{self.server}]" if ":" in self.server else self.server

    @property
    def name(self) -> str:
        return f"{self.host}:{self.path}"

    def option(self, name: str) -> str | None:
        """The last value of a `name=value` mount option (vers is nfsvers), like mount.nfs."""
        found = None
        for option in self.mount_options:
            key, _, value = option.partition("=")
            if (key == "vers" and name == "nfsvers") or key == name:
                found = value
        return found

    @property
    def asked_version(self) -> str | None:
        """The NFS version nfsvers (and minorversion) ask for; None lets the client negotiate."""
        version = self.option("nfsvers")
        minor = self.option("minorversion")
        if version == "4" and minor is not None:
            return f"4.{minor}"
        return version


def exports_of(values: dict[str, Any]) -> list[Export]:
    """Every export of a cluster's values: the single form's nfs, or each of exports."""
    listed = values.get("exports")
    if not isinstance(listed, list):
        return [export_of(values)]
    return [
        export_of(
            {
                **values,
                "nfs": {key: item.get(key) for key in ("server", "path")}
                | {"mountOptions": item.get("mountOptions") or []},
            }
        )
        for item in listed
    ]


def export_of(values: dict[str, Any]) -> Export:
    nfs = values["nfs"]
    preflight = values.get("preflight") or {}
    return Export(
        cluster=values["cluster"],
        server=nfs["server"],
        path=nfs["path"],
        mount_options=tuple(nfs.get("mountOptions") or ()),
        require_chown=bool(preflight.get("requireChown", False)),
    )


def nfs_client() -> Any:
    """The nfs_rs module, or ExtraMissing saying how to install it."""
    try:
        import nfs_rs
    except ImportError as exc:
        raise ExtraMissing(
            f"doctor needs the optional NFS client library nfs-rs ({exc}); install it with: "
            f"{INSTALL_HINT}"
        ) from exc
    return nfs_rs


def _why(exc: BaseException) -> str:
    code = getattr(exc, "code_name", None)
    text = str(exc) or type(exc).__name__
    return f"{text} [{code}]" if code and code not in text else text


class Probe:
    """One export's client side: its lines, its connections."""

    def __init__(self, export: Export, *, timeout: float, privileged: bool) -> None:
        self.export = export
        self.timeout = timeout
        self.privileged = privileged
        self.nfs = nfs_client()
        self.clients: dict[str, Client] = {}

    def line(self, check: str, status: str, code: str, detail: str, fix: str = "") -> Check:
        return Check(self.export.cluster, self.export.name, check, status, code, detail, fix)

    def skipped(self, checks: tuple[str, ...], why: str) -> Iterator[Check]:
        for check in checks:
            yield self.line(check, NOT_CHECKED, "not-reached", why)

    def connect(self, version: str) -> Client:
        port = self.export.option("port")
        mount_port = self.export.option("mountport")
        client: Client = self.nfs.Client.connect(
            f"nfs://{self.export.host}/{self.export.path.lstrip('/')}",
            versions=[version],
            uid=0,
            gid=0,
            nfs_port=int(port) if port and port != "0" else None,
            mount_port=int(mount_port) if mount_port and mount_port != "0" else None,
            noresvport=not self.privileged,
            connect_timeout=self.timeout,
            operation_timeout=self.timeout,
        )
        return client


def text_line(check: Check) -> str:
    fix = f" Fix: {check.fix}." if check.fix else ""
    return (
        f"{check.status:<11}  {check.cluster}  {check.export}  {check.check}: {check.detail}.{fix}"
    )
