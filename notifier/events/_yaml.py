"""YAML to plain data, keeping where each key and value was written.

Every scalar stays the text the organizer typed (pydantic converts it later): YAML 1.1 would
otherwise read ``when: 9:10`` as the integer 550 and ``country: NO`` as False. Duplicate keys,
which PyYAML silently lets the last one win, are errors here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
_NULL = "tag:yaml.org,2002:null"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column, and how the scalar was quoted (None: plain)."""

    line: int
    column: int
    style: str | None = None
    single_line: bool = True


@dataclass
class Located:
    """The data, plus the mark of every value (by path) and of every mapping key."""

    data: Any
    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)
    duplicates: list[tuple[Path, Mark]] = field(default_factory=list)


class YamlSyntaxError(Exception):
    """Text that is not YAML; ``mark`` says where the parser gave up."""

    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _mark(node: yaml.Node) -> Mark:
    start = node.start_mark
    style = getattr(node, "style", None)
    single = node.start_mark.line == node.end_mark.line
    return Mark(start.line + 1, start.column + 1, style, single)


def load_located(text: str) -> Located:
    """Parse one YAML document; raises :class:`YamlSyntaxError` with a position."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        problem = exc.problem or str(exc)
        raise YamlSyntaxError(f"not valid YAML: {problem}", where) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"not valid YAML: {exc}", Mark(1, 1)) from exc
    located = Located(None)
    if root is not None:
        located.data = _convert(root, (), located)
    return located


def _convert(node: yaml.Node, path: Path, located: Located) -> Any:
    located.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            key_path = (*path, key)
            if key in result:
                located.duplicates.append((key_path, _mark(key_node)))
                continue
            located.keys[key_path] = _mark(key_node)
            result[key] = _convert(value_node, key_path, located)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), located) for i, item in enumerate(node.value)]
    if node.tag == _NULL:
        return None
    return str(node.value)
