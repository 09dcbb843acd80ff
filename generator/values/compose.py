"""The one YAML document of a values file as a node tree, each alias located where it is used."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import Node

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SecondDocument(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _AliasLoader(Composer, _Loader):  # type: ignore[misc]
    """libyaml's parser with PyYAML's composer, so each alias is located where it is used.

    The composer hands out the anchored node itself for every alias; this one hands out a copy
    that starts at the alias, so a problem in the value is reported at its use, not its anchor.
    Only files with an alias pay for the Python composer.
    """

    def __init__(self, text: str) -> None:
        _Loader.__init__(self, text)
        Composer.__init__(self)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            node: Node | None = super().compose_node(parent, index)
            if node is None:
                return None
            return type(node)(node.tag, node.value, event.start_mark, event.end_mark)
        result: Node | None = super().compose_node(parent, index)
        return result


def single_node(text: str) -> Node | None:
    """The only document's root node; None for an empty file."""
    loader: Any = _AliasLoader(text) if "*" in text else _Loader(text)
    try:
        if not loader.check_node():
            return None
        node: Node = loader.get_node()
        if loader.check_node():
            second: Node | None = loader.get_node()
            raise SecondDocument(second.start_mark.line + 1 if second is not None else 1)
        return node
    finally:
        loader.dispose()
