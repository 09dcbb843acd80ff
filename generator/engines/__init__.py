"""GitOps engines: an Engine object per engine, one module each (generator/engines/<name>.py).

The schema's gitops.engine enum is the list of engines; each name is the module that defines its
Engine, so a new engine is that module, its templates (templates/engines/<name>/) and the enum
entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module

from generator.treefile import TreeFile


@dataclass(frozen=True)
class Engine:
    """What a GitOps engine adds to a tree.

    resources: its kustomization resources (the objects that deliver the driver's chart).
    support: files that are not objects (kustomization.yaml and its configuration).
    entrypoints: objects of the engine itself, in the tree but not among its kustomization
    resources (the operator, a Flux bootstrap repository or an Argo CD app of apps applies them).
    recreate: the per-object annotations that make it delete and re-create an object an
    immutable field keeps it from updating (generator/output/guard.py); {} when it has none;
    recreate_how says, for a refusal's message, what the engine then does.
    """

    name: str
    support: tuple[TreeFile, ...]
    resources: tuple[TreeFile, ...] = ()
    entrypoints: tuple[TreeFile, ...] = ()
    recreate: Mapping[str, str] = field(default_factory=dict)
    recreate_how: str = ""  # "Flux deletes and re-creates the class (annotation ...)"


def template(engine: str, name: str) -> str:
    """Where an engine's template is under templates/."""
    return f"engines/{engine}/{name}"


def optional(engine: str, name: str, switch: str) -> TreeFile:
    """A file of the engine rendered only when gitops.<engine>.<switch> is true (its templates
    are named after the file: NAME.j2)."""
    return TreeFile(name, template(engine, f"{name}.j2"), switch=("gitops", engine, switch))


@cache
def engine(name: str) -> Engine:
    """The Engine of a gitops.engine value (one the schema accepted)."""
    found: Engine = import_module(f"generator.engines.{name}").ENGINE
    return found
