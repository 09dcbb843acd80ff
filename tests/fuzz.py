"""Fuzz target for load + validate + render, and the inputs hypothesis generates for it.

The contract: every input ends in a rendered tree whose files parse back as YAML mappings and
carry the values unchanged, or in InvalidValues whose problems are located (line and column
from 1, within the file) and carry a documented code. Anything else is a finding.

    python -m tests.fuzz --seconds 300     # `make fuzz`; the tests run a small budget

Findings become regression tests in tests/test_fuzz.py.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import InvalidValues
from generator.model import build_model
from generator.output.changes import plan_changes
from generator.output.guard import tree_files
from generator.output.header import GENERATED_MARK
from generator.output.write import apply_changes
from generator.schema import resolve, schema
from generator.values.checks.drivers import csi_sub_dir
from generator.values.load import MAX_DEPTH, MAX_FILE_BYTES, MAX_STRING_CHARS, load_bytes
from generator.values.validate import validate
from tests.error_catalogue import documented_codes

ROOT = Path(__file__).resolve().parent.parent
NAME = "values/fuzz.yaml"
_CODES = documented_codes()
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LINE_BREAKS = ("\r\n", "\r", "\n", "\x85", "\u2028", "\u2029")

# A values file using most features, so mutations and replacements reach deep into render.
RICH = """\
cluster: edge-01
namespace: storage
nfs:
  server: nas.example.com
  path: /export/k8s
  mountOptions: [nfsvers=4.1, hard, noatime]
storageClass:
  name: nfs-fast
  default: false
  reclaimPolicy: Retain
  archiveOnDelete: false
  pathPattern: ${.PVC.namespace}/${.PVC.labels.app}
  volumeBindingMode: WaitForFirstConsumer
chart:
  version: 4.0.18
  releaseName: nfs
provisioner:
  replicas: 2
  leaderElection: true
  resources:
    requests: {cpu: 20m, memory: 64Mi}
nodeInstaller:
  namespace: storage-installer
  nodeSelector: {disk: ssd}
  tolerations:
    - {key: dedicated, operator: Equal, value: storage, effect: NoExecute, tolerationSeconds: 60}
gitops:
  interval: 10m
"""


def seeds() -> list[bytes]:
    """The committed values files and RICH: the starting points of mutations."""
    found = [path.read_bytes() for path in sorted((ROOT / "values").glob("*.yaml"))]
    return [*found, RICH.encode()]


# --- the target ---------------------------------------------------------------------------


class Finding(AssertionError):
    """The contract was broken; hypothesis shrinks the input and reports it."""


def exercise(raw: bytes, *, out: Path | None = None) -> dict[str, str] | None:
    """Run one input through the pipeline; the rendered files, or None when cleanly refused.

    With out, also write the tree there and check that a second plan finds nothing to do.
    """
    try:
        doc = load_bytes(raw, NAME)
        validate(doc)
        model = build_model(doc.data, doc.file)
        files = tree_files(model)
    except InvalidValues as exc:
        check_refusal(raw, exc)
        return None
    check_rendered(files, model.values)
    if out is not None:
        tree = out / model.names.cluster
        apply_changes(plan_changes(tree, files))
        if not plan_changes(tree, files).clean:
            raise Finding("a second render of the same values would change the tree")
    return files


def _max_line(raw: bytes) -> int:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.count(b"\n") + 1
    # YAML 1.1 also breaks lines at CR, NEL and the Unicode separators (CR LF counts twice here).
    return sum(text.count(brk) for brk in "\r\n\x85\u2028\u2029") + 1


def check_refusal(raw: bytes | dict[str, bytes], exc: InvalidValues) -> None:
    """Every problem names one of the files (NAME, or the names of a fleet) inside its lines."""
    sources = raw if isinstance(raw, dict) else {NAME: raw}
    if not exc.problems:
        raise Finding("InvalidValues without problems")
    for problem in exc.problems:
        where = str(problem)
        if problem.file not in sources:
            raise Finding(f"problem names another file: {where}")
        limit = _max_line(sources[problem.file])
        if not (1 <= problem.line <= limit and problem.column >= 1):
            raise Finding(f"problem is not located inside the file ({limit} lines): {where}")
        if problem.code not in _CODES:
            raise Finding(f"code not in docs/errors.md: {where}")
        if not problem.field or not problem.message:
            raise Finding(f"problem without field or message: {where}")
        if any(brk in problem.field + problem.message for brk in _LINE_BREAKS):
            raise Finding(f"problem spans lines, breaking FILE:LINE:COL output: {where!r}")


FLEET_DEFAULTS = "values/_defaults.yaml"
FLEET_CLUSTER = "values/c.yaml"


def exercise_fleet(defaults: bytes, cluster: bytes, folder: Path) -> dict[str, str] | None:
    """A cluster file merged over shared defaults, through the fleet loader (pipeline)."""
    from generator.values.fleet import load_valid

    values = folder / "values"
    values.mkdir(exist_ok=True)
    (values / "_defaults.yaml").write_bytes(defaults)
    (values / "c.yaml").write_bytes(cluster)
    previous = Path.cwd()
    os.chdir(folder)  # so files are named values/... in problems
    try:
        (doc,) = load_valid([Path("values/c.yaml")])
        model = build_model(doc.data, doc.file)
        files = tree_files(model)
    except InvalidValues as exc:
        check_refusal({FLEET_DEFAULTS: defaults, FLEET_CLUSTER: cluster}, exc)
        return None
    finally:
        os.chdir(previous)
    check_rendered(files, model.values)
    return files


def run_input(raw: bytes | tuple[bytes, bytes], out: Path) -> dict[str, str] | None:
    """One generated input: a values file, or (defaults, cluster file) of a fleet."""
    if isinstance(raw, tuple):
        return exercise_fleet(*raw, out)
    return exercise(raw, out=out)


def check_rendered(files: dict[str, str], values: dict[str, Any]) -> None:
    if not files:
        raise Finding("rendered no files")
    parsed: dict[str, list[Any]] = {}
    for name, text in files.items():
        if not text.startswith(GENERATED_MARK):
            raise Finding(f"{name} lacks the generated-file header")
        docs = list(yaml.load_all(text, Loader=_Loader))
        if not docs or not all(isinstance(doc, dict) for doc in docs):
            raise Finding(f"{name}: a rendered document is not a mapping")
        parsed[name] = docs
    # Values reach the output unchanged: no value can add keys, lines or documents. Each export
    # (the single form is one) has its class, in order; a subdir export its release's values
    # file, a csi-driver-nfs export the export in its class's parameters.
    exports = _exports(values)
    helm = {name: parsed[name][0] for name in sorted(parsed) if name.startswith("helm-values")}
    subdir = [h for h in helm.values() if "nfs" in h]
    served = {
        (h["nfs"]["server"], h["nfs"]["path"], tuple(h["nfs"].get("mountOptions", [])))
        for h in subdir
    }
    provisioners = {h["storageClass"]["provisionerName"] for h in subdir} | {
        h["driver"]["name"] for h in helm.values() if "driver" in h
    }
    releases = {e["release"] for e in exports}
    if len(helm) != len(releases):
        raise Finding(f"{len(helm)} chart values files for {len(releases)} releases")
    storage = parsed.get("storageclass.yaml") or []
    if len(storage) != len(exports):
        raise Finding(f"{len(storage)} StorageClasses for {len(exports)} exports")
    for export, sc in zip(exports, storage, strict=True):
        if sc["metadata"]["name"] != export["class"]:
            raise Finding("StorageClass name differs from storageClass.name")
        if sc["provisioner"] not in provisioners:
            raise Finding("StorageClass provisioner differs from the chart's provisioner name")
        if export["driver"] == "csi-driver-nfs":
            check_csi(sc, export)
            continue
        nfs = (export["server"], export["path"], tuple(export["mountOptions"]))
        if nfs not in served:
            raise Finding(f"no chart values serve the nfs export {nfs}; they serve {served}")
        pattern = export["storageClass"]["pathPattern"]
        if pattern is not None and sc["parameters"].get("pathPattern") != pattern:
            raise Finding("StorageClass pathPattern differs from storageClass.pathPattern")


def check_csi(sc: dict[str, Any], export: dict[str, Any]) -> None:
    """csi-driver-nfs: the export and the class's keys reach the StorageClass unchanged."""
    params = sc["parameters"]
    if (params["server"], params["share"]) != (export["server"], export["path"]):
        raise Finding(f"StorageClass server/share are {params}, values say {export}")
    if sc.get("mountOptions", []) != export["mountOptions"]:
        raise Finding("StorageClass mountOptions differ from nfs.mountOptions")
    classes = export["storageClass"]
    if params.get("mountPermissions") != classes.get("mountPermissions"):
        raise Finding("StorageClass mountPermissions differs from storageClass.mountPermissions")
    pattern = classes["pathPattern"]
    if pattern is not None and params["subDir"] != csi_sub_dir(pattern):
        raise Finding("StorageClass subDir is not storageClass.pathPattern translated")


def _exports(values: dict[str, Any]) -> list[dict[str, Any]]:
    """What each export's objects must say, read from the values (not from the model); the
    release only groups them (one per subdir export, one for all csi-driver-nfs exports)."""
    if "exports" not in values:
        sc = values["storageClass"]
        return [
            {
                **values["nfs"],
                "driver": values["driver"],
                "class": sc["name"],
                "storageClass": sc,
                "release": "one",
            }
        ]
    return [
        {
            **export,
            "driver": export["driver"] or values["driver"],
            "class": export["storageClass"]["name"] or f"nfs-{export['name']}",
            "release": export["name"]
            if (export["driver"] or values["driver"]) != "csi-driver-nfs"
            else "csi",
        }
        for export in values["exports"]
    ]


# --- inputs -------------------------------------------------------------------------------

INTERESTING_TEXT = [
    "", " ", "a", "A", "-", "_", ".", "..", "/", "//", "~", "null", "Null", "true", "yes", "no",
    "on", "off", "y", "n", "0", "-1", "0x1F", "0o17", "1e3", "1_000", "1:20", ".inf", ".nan",
    "010", "1.0", "2.0", "2001-12-14", "a: b", "- a", "#", "# c", "'", '"', "\\", "\\n", "{", "}",
    "[", "]", ",", "&a", "*a", "!!str", "%", "@", "`", "|", ">", "?", "\n", "\r\n", "\r", "\t",
    "\x00", "\x7f", "\x85", "\u2028", "\ufeff", "\ud7ff", "é", "ß", "İ", "😀", "---", "...",
    "{{ v }}", "{% raw %}", "{#", "${.PVC.name}", "${.PVC.labels.app}", "${.PVC.annotations.x/y}",
    "${.PVC.namespace}/${.PVC.name}", "${", "$", "nfsvers=4.1", "hard", "soft", "vers=3",
    "nfsvers=5", "hard=1", "192.168.169.3", "999.1.1.1", "::1", "fe80::1", "[::1]", "nas.local",
    "nas.local.", "-nas", "nas:/data", "nfs://nas", "/data/K8s", "/data/../etc", "data",
    "registry.k8s.io/pause", "v4.0.2", "4.0.18", "30m", "1h30m", "10m", "128Mi", "0.5",
    "kubernetes.io/os", "example.com/nfs", "cluster.local/nfs", "Exists", "Equal", "NoSchedule",
    "flux", "argocd", "kustomize", "Delete", "Retain", "homelab", "csi-driver-nfs",
    "nfs-subdir-external-provisioner", "microk8s", "k0s", "talos", "archive", "0777", "0o777",
    "a" * 63, "a" * 64, "a" * 254, "x" * MAX_STRING_CHARS, "x" * (MAX_STRING_CHARS + 1),
]  # fmt: skip
INTERESTING_INTS = [0, 1, 2, 5, 6, -1, 2**31, 2**63, 10**100]

scalars = st.one_of(
    st.sampled_from(INTERESTING_TEXT),
    st.text(max_size=40),
    st.sampled_from(INTERESTING_INTS),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(),
)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=12) | st.sampled_from(INTERESTING_TEXT), inner, max_size=4
        )
    ),
    max_leaves=12,
)


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return resolve(node, {"$defs": defs})


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


_LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?", fullmatch=True)
# Plausible values for fields whose schema alone does not say enough (path; "*" is any item).
_FIELDS: dict[tuple[str, ...], st.SearchStrategy[Any]] = {
    ("nfs", "server"): st.sampled_from(["192.168.169.3", "nas.local", "fe80::1", "2001:db8::5"])
    | st.ip_addresses().map(str),
    ("nfs", "path"): st.sampled_from(["/data/K8s", "/", "/a b", "/ünïcode/ß", "/x/'\"/y"])
    | st.text(max_size=20).map(lambda s: "/" + s),
    ("nfs", "mountOptions", "*"): st.sampled_from(
        ["nfsvers=4.1", "nfsvers=3", "hard", "noatime", "rsize=1048576", "timeo=600", "nolock"]
    ),
    ("storageClass", "pathPattern"): st.sampled_from(
        [None, "${.PVC.namespace}/${.PVC.name}", "${.PVC.labels.app}", "static", "a/${.PVC.name}"]
    ),
    ("storageClass", "provisionerName"): st.sampled_from([None, "example.com/nfs", "nfs"]),
    ("exports", "*", "server"): st.sampled_from(["192.168.169.3", "nas.local", "2001:db8::5"]),
    ("exports", "*", "path"): st.sampled_from(["/ssd", "/", "/a b", "/ünïcode/ß"]),
    ("exports", "*", "mountOptions", "*"): st.sampled_from(["nfsvers=4.1", "hard", "nolock"]),
    ("exports", "*", "release"): st.sampled_from([None, "nfs", "r"]),
    ("exports", "*", "provisionerName"): st.sampled_from([None, "example.com/nfs"]),
    ("nodeInstaller", "nodeSelector"): st.dictionaries(
        st.sampled_from(["disk", "example.com/zone", "node.kubernetes.io/instance-type"]),
        st.sampled_from(["ssd", "a", "eu-1", ""]),
        max_size=2,
    ),
    ("nodeInstaller", "tolerations", "*"): st.sampled_from(
        [
            {"operator": "Exists"},
            {"key": "dedicated", "operator": "Equal", "value": "nfs", "effect": "NoSchedule"},
            {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30},
        ]
    ),
}


def from_schema(
    node: dict[str, Any], defs: dict[str, Any], path: tuple[str, ...] = ()
) -> st.SearchStrategy[Any]:
    """Plausible values for a schema node: enums, examples, defaults, matching strings."""
    if path in _FIELDS:
        return _FIELDS[path]
    node = _resolve(node, defs)
    options: list[st.SearchStrategy[Any]] = []
    plausible = [*node.get("examples", []), *([node["default"]] if "default" in node else [])]
    if "enum" in node:
        options.append(st.sampled_from(node["enum"]))
    if plausible:
        options.append(st.sampled_from(plausible))
    types = _types(node)
    if "object" in types:
        props = node.get("properties", {})
        # One of nfs and exports is required at the top: draw nfs always, exports sometimes
        # (values_documents then keeps one form).
        required = set(node.get("required", [])) | ({"nfs"} if not path else set())
        children = {key: from_schema(sub, defs, (*path, key)) for key, sub in props.items()}
        options.append(
            st.fixed_dictionaries(
                {key: children[key] for key in props if key in required},
                optional={key: children[key] for key in props if key not in required},
            )
        )
    if "array" in types and isinstance(node.get("items"), dict):
        options.append(st.lists(from_schema(node["items"], defs, (*path, "*")), max_size=3))
    if "string" in types:
        if "pattern" in node:
            regex = st.from_regex(node["pattern"], fullmatch=True)
            options.append(regex.filter(lambda s: len(s) < 80 and s.isprintable()))
        elif not plausible and "enum" not in node:
            options.append(_LABEL)  # names: the most common kind of free-form string here
    if "integer" in types:
        options.append(st.integers(node.get("minimum", 0), node.get("maximum", 100)))
    if "boolean" in types:
        options.append(st.booleans())
    if "null" in types:
        options.append(st.none())
    return st.one_of(options) if options else anything


wild = st.one_of(st.sampled_from(INTERESTING_TEXT), anything, st.text(max_size=30))


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping and list in value, value itself first."""
    if not isinstance(value, dict | list):
        return []
    found = [path]
    for key, item in value.items() if isinstance(value, dict) else enumerate(value):
        found += _containers(item, (*path, key))
    return found


@st.composite
def values_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A plausible values mapping with a few values (or keys) replaced by hostile ones."""
    full = schema()
    # A copy: sampled values are shared between examples and must not change.
    data: dict[str, Any] = copy.deepcopy(draw(from_schema(full, full["$defs"])))
    # One of the two forms: the single one (nfs) or several exports, as a user writes them.
    if "exports" in data and (draw(st.booleans()) or "nfs" not in data):
        data.pop("nfs", None)
        data.pop("storageClass", None)
        data.get("chart", {}).pop("releaseName", None)
    elif "nfs" in data:
        data.pop("exports", None)
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(_containers(data)))
        target: Any = data
        for part in where:
            target = target[part]
        if isinstance(target, dict):
            keys = [*target, *INTERESTING_TEXT[:8]]
            target[draw(st.sampled_from(keys))] = draw(wild)
        elif target:
            target[draw(st.integers(0, len(target) - 1))] = draw(wild)
        else:
            target.append(draw(wild))
    return data


def dumped(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Documents written as YAML the way people and tools write it: block, flow, quoted."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        value = draw(strategy)
        text = yaml.safe_dump(
            value,
            default_flow_style=draw(st.sampled_from([False, True, None])),
            allow_unicode=draw(st.booleans()),
            sort_keys=draw(st.booleans()),
            width=draw(st.sampled_from([80, 20, 4096])),
            default_style=draw(st.sampled_from([None, None, '"', "'"])),
        )
        prefix = draw(st.sampled_from(["", "# comment\n", "---\n", "\ufeff", "%YAML 1.1\n---\n"]))
        return (prefix + text).encode("utf-8")

    return build()


TOKENS = [
    b":", b": ", b"- ", b"\n", b"\n  ", b" ", b"  ", b"\t", b"#", b"&a ", b"*a", b"<<: *a\n",
    b"!!str ", b"!!binary ", b"!!set ", b"!x ", b"? ", b"|\n", b">-\n", b"'", b'"', b"{", b"}",
    b"[", b"]", b",", b"---\n", b"...\n", b"%YAML 1.1\n", b"%TAG ! tag:x,2000:\n", b"\x00",
    b"\xff", b"\xc3\xa9", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\xe2\x80\xa8", b"\xc2\x85", b"\\",
    b"0x1F", b"1e9", b"1.0", b"2.0", b"~", b"null", b"yes", b"..", b"${.PVC.name}",
    b"nfsvers=4.1", b"::1", b"9" * 5000, b"a" * (MAX_STRING_CHARS + 1), b"[" * 40, b"]" * 40,
    b"- " * 40, b"\\u2028", b"\\x85", b"\\0", b"\\ud800",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed file with a few bytes inserted, deleted, replaced or lines shuffled."""
    data = bytearray(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "line", "byte", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "replace":
            data[at : at + 1] = draw(st.sampled_from(TOKENS))
        elif op == "byte":
            data[at:at] = bytes([draw(st.integers(0, 255))])
        elif op == "truncate":
            del data[at:]
        else:
            lines = bytes(data).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines.insert(j, lines[i])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@st.composite
def near_limits(draw: st.DrawFn) -> bytes:
    """Documents at and just past each limit: size, values, depth, string length."""
    kind = draw(st.sampled_from(["size", "nodes", "depth", "string", "key", "number"]))
    head = b"cluster: c\nnfs: {server: nas, path: /d}\n"
    delta = draw(st.integers(-2, 2))
    if kind == "size":
        pad = MAX_FILE_BYTES - len(head) + delta
        return head + b"#" * max(pad - 1, 0) + b"\n"
    if kind == "nodes":
        fan = draw(st.integers(2, 12))
        levels = [b"l0: &l0 [" + b",".join([b"1"] * fan) + b"]"]
        for i in range(1, draw(st.integers(1, 6))):
            levels.append(b"l%d: &l%d [" % (i, i) + b",".join([b"*l%d" % (i - 1)] * fan) + b"]")
        return head + b"\n".join(levels) + b"\n"
    if kind == "depth":
        depth = MAX_DEPTH + delta
        flow = draw(st.booleans())
        if flow:
            return head + b"x: " + b"[" * depth + b"]" * depth + b"\n"
        return head + b"".join(b"  " * i + b"k:\n" for i in range(depth)) + b"  " * depth + b"1\n"
    size = MAX_STRING_CHARS + delta
    if kind == "string":
        return head + b"namespace: " + b"a" * size + b"\n"
    if kind == "key":
        return head + b"? " + b"k" * size + b"\n: 1\n"
    return head + b"x: " + b"9" * size + b"\n"


def _without_cluster(data: Any) -> Any:
    return {k: v for k, v in data.items() if k != "cluster"} if isinstance(data, dict) else data


_CLUSTER_FILES = st.fixed_dictionaries(
    {"cluster": _LABEL},
    optional={
        "nfs": st.fixed_dictionaries({}, optional={"server": _FIELDS[("nfs", "server")]}),
        "storageClass": st.fixed_dictionaries({}, optional={"name": _LABEL}),
        "namespace": _LABEL | wild,
        "gitops": st.just(None) | wild,
    },
)

INPUTS: dict[str, st.SearchStrategy[bytes | tuple[bytes, bytes]]] = {
    "bytes": st.binary(max_size=2048),
    "text": st.text(max_size=400).map(lambda s: s.encode("utf-8", "surrogatepass")),
    "yaml": dumped(anything),
    "values": dumped(values_documents()),
    "mutated": mutated(),
    "limits": near_limits(),
    "fleet": st.tuples(
        dumped(values_documents().map(_without_cluster)) | mutated(),
        dumped(_CLUSTER_FILES) | dumped(values_documents()) | mutated(),
    ),
}
# Node and alias bombs are slow to generate a lot of; the rest are quick.
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=SUPPRESSED,
        print_blob=True,
    )


def examples_from_env(default: int) -> int:
    return int(os.environ.get("NFS_GITOPS_FUZZ_EXAMPLES", default))


# --- time-boxed driver --------------------------------------------------------------------


def _property(
    strategy: st.SearchStrategy[bytes | tuple[bytes, bytes]],
    chunk: int,
    counter: list[int],
    deadline: float,
) -> Callable[[], None]:
    @fuzz_settings(chunk)
    @given(raw=strategy)
    def run(raw: bytes | tuple[bytes, bytes]) -> None:
        if time.monotonic() > deadline:
            return  # out of time: let hypothesis finish this run quickly
        counter[0] += 1
        with tempfile.TemporaryDirectory() as scratch:
            run_input(raw, Path(scratch))

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=300.0, help="time budget (default 300)")
    parser.add_argument("--chunk", type=int, default=100, help="examples per hypothesis run")
    parser.add_argument("--only", choices=sorted(INPUTS), action="append", help="input kinds")
    args = parser.parse_args(argv)
    kinds = args.only or list(INPUTS)
    deadline = time.monotonic() + args.seconds
    counts = dict.fromkeys(kinds, 0)
    rounds = 0
    while time.monotonic() < deadline:
        kind = kinds[rounds % len(kinds)]
        rounds += 1
        counter = [0]
        try:
            _property(INPUTS[kind], args.chunk, counter, deadline)()
        except Exception as exc:  # a finding; hypothesis notes the shrunk input on the exception
            traceback.print_exception(exc, file=sys.stderr)
            print(f"fuzz: FINDING with {kind} inputs: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        finally:
            counts[kind] += counter[0]
    total = sum(counts.values())
    detail = ", ".join(f"{kind} {count}" for kind, count in counts.items())
    print(f"fuzz: {total} inputs in {args.seconds:g}s, no findings ({detail})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
