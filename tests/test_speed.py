"""Guards of the speed-ups make bench measured (BENCHMARKS.md). No timings: each test checks the
mechanism (what is imported, what is parsed, what is cached), which does not depend on the load
of the machine."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import RenderError
from generator.render import env as render_env
from generator.render import parse as render_parse
from generator.schema import resolve, schema
from generator.schema.quick import KNOWN, accepts
from generator.values.validate import _validator
from tests.conftest import ROOT

HEAVY = ("jsonschema", "jinja2", "yaml")


def imported_by(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> set[str]:
    """Top-level modules loaded by one `nfs-gitops ARGS` process (exit code must be 0)."""
    code = (
        "import sys\n"
        "from generator.cli import main\n"
        f"sys.argv = ['nfs-gitops', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "finally:\n"
        "    sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    listed = result.stderr.rsplit("MODULES ", 1)[1].split()
    return {name.split(".")[0] for name in listed}


def test_help_imports_neither_jsonschema_nor_jinja2_nor_yaml(tmp_path: Path) -> None:
    loaded = imported_by(["--help"], tmp_path)
    assert "click" in loaded
    assert not loaded & set(HEAVY), "import these where they are used, not at module level"


def test_rendering_valid_values_does_not_import_jsonschema(tmp_path: Path) -> None:
    values = ROOT / "values" / "homelab.yaml"
    loaded = imported_by(["render", str(values), "--output-dir", str(tmp_path / "out")], tmp_path)
    assert {"jinja2", "yaml"} <= loaded
    assert "jsonschema" not in loaded, "quickschema.accepts no longer says yes to homelab.yaml"
    assert (tmp_path / "out" / "homelab" / "kustomization.yaml").is_file()


# --- quickschema: a sure "valid" without jsonschema --------------------------------------------


def subschemas(node: Any) -> list[dict[str, Any]]:
    """Every schema object inside node (properties, items, $defs, ...), node included."""
    if not isinstance(node, dict):
        return []
    found = [node]
    for key, value in node.items():
        if key in ("properties", "$defs"):
            for sub in value.values():
                found += subschemas(sub)
        elif key in ("items", "additionalProperties"):
            found += subschemas(value)
    return found


def test_the_values_schema_uses_only_keywords_quickschema_knows() -> None:
    unknown = {key for node in subschemas(schema()) for key in node} - KNOWN
    assert not unknown, (
        f"values.schema.json uses {sorted(unknown)}, which generator/schema/quick.py does not "
        "check: every run now imports jsonschema. Teach quickschema the keyword."
    )


def values_documents() -> list[Path]:
    return sorted(ROOT.glob("values/[!_]*.yaml")) + sorted(ROOT.glob("tests/golden/*/values.yaml"))


@pytest.mark.parametrize("path", values_documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_quickschema_accepts_every_valid_values_file(path: Path) -> None:
    from generator.values.fleet import load_valid

    (doc,) = load_valid([path])  # merged over the _defaults.yaml beside it, if any
    assert not list(_validator().iter_errors(doc.data))
    assert accepts(schema(), doc.data)


ODD_STRINGS = ["", "x", "Delete", "flux", "1.2.3", "30m", "https://x", "2.0", "true", "a b"]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 70_000)
    | st.sampled_from([0.0, 1.0, 2.0, 0.5, float("inf")])
    | st.sampled_from(ODD_STRINGS)
    | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "name", "key"]), children, max_size=2)
    ),
    max_leaves=5,
)


@st.composite
def guided(draw: st.DrawFn, node: Any, depth: int = 0) -> Any:
    """A value shaped by the schema node most of the time, and anything at all otherwise."""
    root = schema()
    if isinstance(node, dict):
        node = resolve(node, root)
    if not isinstance(node, dict) or depth > 6 or draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    if "enum" in node:
        return draw(st.sampled_from(node["enum"]))
    if "default" in node and draw(st.integers(0, 3)) == 0:
        return copy.deepcopy(node["default"])
    types = node.get("type", "object" if "properties" in node else "string")
    kind = draw(st.sampled_from(types)) if isinstance(types, list) else types
    if kind == "object":
        result = {}
        for key, sub in node.get("properties", {}).items():
            wanted = key in node.get("required", ()) or draw(st.integers(0, 2)) == 0
            if wanted and draw(st.integers(0, 19)):
                result[key] = draw(guided(sub, depth + 1))
        if draw(st.integers(0, 9)) == 0:
            result[draw(st.sampled_from(["extra", "nfss"]))] = draw(json_values)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and draw(st.booleans()):
            result[draw(st.sampled_from(["k1", "k2"]))] = draw(guided(extra, depth + 1))
        return result
    if kind == "array":
        return draw(st.lists(guided(node.get("items", {}), depth + 1), max_size=3))
    if kind == "string":
        if "pattern" in node and draw(st.integers(0, 2)):
            return draw(
                st.from_regex(node["pattern"], fullmatch=True).filter(lambda s: len(s) < 80)
            )
        return draw(st.sampled_from(ODD_STRINGS) | st.text(max_size=8))
    if kind == "integer":
        low = node.get("minimum", -2)
        high = node.get("maximum", low + 5)
        return draw(st.integers(low - 1, high + 1) | st.sampled_from([float(low), 2.0]))
    if kind == "boolean":
        return draw(st.booleans() | st.sampled_from([0, 1]))
    return draw(json_values)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(guided(schema()))
def test_quickschema_agrees_with_jsonschema(document: Any) -> None:
    valid = not list(_validator().iter_errors(document))
    if accepts(schema(), document):
        assert valid, "quickschema let an invalid document through"
    elif valid:
        # quickschema leaves 2.0 where an integer is wanted to jsonschema; anything else valid
        # it must accept, or the fast path is lost.
        assert has_whole_float(document), "quickschema sent a valid document to jsonschema"


def has_whole_float(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(has_whole_float(item) for item in value.values())
    if isinstance(value, list):
        return any(has_whole_float(item) for item in value)
    return False


def test_quickschema_never_says_yes_to_what_it_does_not_know() -> None:
    assert not accepts({"oneOf": [{"type": "string"}]}, "x")
    assert not accepts({"$ref": "https://example.com/s.json"}, "x")
    assert not accepts({"type": "object"}, {1: "non-string key"})
    assert not accepts({"enum": [[1]]}, [1])
    assert not accepts({"type": "integer"}, True)
    assert not accepts({"enum": [1]}, True)
    assert accepts({"enum": [None, "a"]}, None)
    assert not accepts({"type": "object", "additionalProperties": False}, {"a": 1})
    assert not accepts({"type": "string", "pattern": "^a$"}, "b")


# --- render: parse back once per distinct text ---------------------------------------------


def test_a_text_is_parsed_back_once_whatever_its_header(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = render_parse._check_parsed

    def counting(name: str, text: str, *, is_resource: bool) -> None:
        parsed.append(text)
        real(name, text, is_resource=is_resource)

    monkeypatch.setattr(render_parse, "_check_parsed", counting)
    monkeypatch.setattr(render_parse, "_PARSED_OK", set())
    body = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"
    for _ in range(2):
        render_parse.parse_back("namespace.yaml", body, is_resource=True)
    assert len(parsed) == 1
    # The same text as a non-resource is a different question: parsed again.
    render_parse.parse_back("namespace.yaml", body, is_resource=False)
    assert len(parsed) == 2


def test_a_parse_error_counts_the_header_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_parse, "_PARSED_OK", set())
    with pytest.raises(RenderError, match="line 4"):
        render_parse.parse_back("x.yaml", "a: 1\nb: [\n", is_resource=False)


# --- compiled templates cached like .pyc files ---------------------------------------------


def render_with(env: dict[str, str], root: Path) -> dict[str, bytes]:
    """Render values/homelab.yaml into root/output (headers name it from root, as the repo's)."""
    values = root / "values" / "homelab.yaml"
    values.parent.mkdir(parents=True)
    for name in ("homelab.yaml", "_defaults.yaml"):
        shutil.copyfile(ROOT / "values" / name, values.parent / name)
    out = root / "output"
    subprocess.run(
        [sys.executable, "-m", "generator", "render", str(values), "--output-dir", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return {p.name: p.read_bytes() for p in sorted((out / "homelab").iterdir())}


def python_env(prefix: Path, *, write_bytecode: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def cache_files(prefix: Path) -> list[Path]:
    return sorted(prefix.rglob("nfs-gitops-template-*.cache"))


def test_compiled_templates_are_cached_and_render_the_same_bytes(tmp_path: Path) -> None:
    prefix = tmp_path / "pycache"
    env = python_env(prefix, write_bytecode=True)
    first = render_with(env, tmp_path / "a")
    entries = cache_files(prefix)
    assert len(entries) >= len(first), "one cache entry per template rendered"
    second = render_with(env, tmp_path / "b")  # from the cache
    assert second == first
    for entry in entries:  # damaged entries are compiled again, never trusted
        entry.write_bytes(entry.read_bytes()[:20])
    assert render_with(env, tmp_path / "c") == first
    expected = {p.name: p.read_bytes() for p in sorted((ROOT / "output" / "homelab").iterdir())}
    assert first == expected


def test_no_template_cache_is_written_under_pythondontwritebytecode(tmp_path: Path) -> None:
    prefix = tmp_path / "pycache"
    render_with(python_env(prefix, write_bytecode=False), tmp_path / "a")
    assert cache_files(prefix) == []


def test_the_cache_key_changes_with_what_the_compiled_code_depends_on() -> None:
    import jinja2

    from generator.render.templatecache import key

    base = render_env.environment()
    other = base.overlay(trim_blocks=False)
    assert key(base) != key(other)
    assert key(base) == key(render_env.environment())
    assert len({key(base), key(jinja2.Environment())}) == 2
