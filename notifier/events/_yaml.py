"""YAML to plain data, keeping where each key and value was written.

Every scalar stays the text the organizer typed (pydantic converts it later): YAML 1.1 would
otherwise read ``when: 9:10`` as the integer 550 and ``country: NO`` as False. Duplicate keys,
which PyYAML silently lets the last one win, are errors here.

A config file is untrusted text, read by a long-running daemon. Composing keeps aliases as
references, but turning nodes into data copies one per use: nine nested aliases in 500 bytes
("billion laughs") would become 10⁹ values, and an alias inside its own anchor would repeat
forever. The composer below counts what aliases would copy and refuses, with a position, an
alias inside its anchor, more than :data:`MAX_ALIAS_VALUES` copied values, or nesting deeper
than :data:`MAX_DEPTH`, before anything is copied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import yaml
from yaml.composer import Composer, ComposerError
from yaml.events import AliasEvent, Event, NodeEvent
from yaml.resolver import Resolver

from notifier.events._yamlwords import yaml_words

Path = tuple[str | int, ...]
_NULL = "tag:yaml.org,2002:null"
# what aliases may copy in one file: the CrimeCOP12 example (29 sessions) is about 400 values
# in all, so even a 10-value anchor repeated in each session of a 500-session programme fits
MAX_ALIAS_VALUES = 10_000
MAX_DEPTH = 64  # an event file nests 5 levels deep; this stops a stack-deep [[[[…]]]]


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

    def alias(self, written: Path, read_as: Path) -> None:
        """The marks under ``written`` also under ``read_as``: a misspelt key read as the key
        it resembles keeps pointing at the line the organizer wrote."""
        depth = len(written)
        for table in (self.values, self.keys):
            for path, mark in list(table.items()):
                if path[:depth] == written:
                    table[(*read_as, *path[depth:])] = mark


class YamlSyntaxError(Exception):
    """Text that is not YAML, or YAML we refuse; ``mark`` says where, ``code`` what.

    ``mark`` is where the broken construct began (PyYAML's context mark: the open quote or
    bracket) when PyYAML knows it, since that is where the fix goes; ``stopped`` is where the
    parser gave up (often the end of the file), with PyYAML's own words in ``detail``.
    """

    def __init__(
        self,
        message: str,
        mark: Mark,
        code: str = "yaml-syntax",
        *,
        stopped: Mark | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.code = code
        self.stopped = stopped
        self.detail = detail


class _Refused(ComposerError):
    """YAML that parses but is refused (see the module docstring)."""

    def __init__(self, code: str, problem: str, mark: Any) -> None:
        super().__init__(None, None, problem, mark)
        self.code = code


class _LimitedComposer(Composer):
    """PyYAML's composer, counting the values aliases would copy and refusing cycles."""

    peek_event: Callable[[], Event | None]  # the parser's, beside it in _Loader

    def __init__(self) -> None:
        Composer.__init__(self)
        self._sizes: dict[int, int] = {}  # id(node) -> values in it once aliases are copied
        self._open_anchors: set[str] = set()  # anchors whose node is still being composed
        self._alias_values = 0
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            self._count_alias(event)
            return cast(yaml.Node, super().compose_node(parent, index))
        anchor = event.anchor if isinstance(event, NodeEvent) else None
        self._depth += 1
        if self._depth > MAX_DEPTH and event is not None:
            problem = f"nested deeper than {MAX_DEPTH} levels; an event file needs about 5"
            raise _Refused("yaml-too-deep", problem, event.start_mark)
        if anchor is not None:
            self._open_anchors.add(anchor)
        try:
            node = cast(yaml.Node, super().compose_node(parent, index))
        finally:
            self._depth -= 1
            self._open_anchors.discard(anchor or "")
        self._sizes[id(node)] = 1 + sum(self._sizes[id(child)] for child in _children(node))
        return node

    def _count_alias(self, event: AliasEvent) -> None:
        anchor = event.anchor or ""
        if anchor in self._open_anchors:
            problem = f"*{anchor} is inside &{anchor}, the value it repeats: it would never end"
            raise _Refused("yaml-recursive-alias", problem, event.start_mark)
        target = self.anchors.get(anchor)
        if target is None:
            return  # PyYAML's own error follows: "found undefined alias"
        self._alias_values += self._sizes[id(target)]
        if self._alias_values > MAX_ALIAS_VALUES:
            problem = (
                f"aliases here copy more than {MAX_ALIAS_VALUES:,} values (*{anchor} alone "
                f"{self._sizes[id(target)]:,}); write the values out instead"
            )
            raise _Refused("yaml-alias-limit", problem, event.start_mark)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _PythonParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


try:  # libyaml's parser when PyYAML has it (the wheels do): the same events, faster
    from yaml._yaml import CParser as _EventSource
except ImportError:  # pragma: no cover
    _EventSource = _PythonParser  # type: ignore[misc,assignment]


class _Loader(_LimitedComposer, _EventSource, Resolver):
    """Events from the parser, nodes from :class:`_LimitedComposer`; no constructor at all."""

    def __init__(self, stream: str) -> None:
        _EventSource.__init__(self, stream)
        _LimitedComposer.__init__(self)
        Resolver.__init__(self)


def _mark(node: yaml.Node) -> Mark:
    start = node.start_mark
    style = getattr(node, "style", None)
    single = node.start_mark.line == node.end_mark.line
    return Mark(start.line + 1, start.column + 1, style, single)


def _pymark(mark: yaml.Mark | None) -> Mark | None:
    return Mark(mark.line + 1, mark.column + 1) if mark is not None else None


def syntax_error(exc: yaml.MarkedYAMLError) -> YamlSyntaxError:
    """``exc`` placed where the broken construct began, PyYAML's stop kept as ``stopped``."""
    problem = exc.problem or str(exc)
    stopped = _pymark(exc.problem_mark) or Mark(1, 1)
    began = _pymark(exc.context_mark)
    if began is not None and began != stopped:
        words = yaml_words(exc.context, problem, at_context=True)
        return YamlSyntaxError(f"not valid YAML: {words}", began, stopped=stopped, detail=problem)
    words = yaml_words(exc.context, problem, at_context=False)
    detail = problem if words != problem else ""
    return YamlSyntaxError(f"not valid YAML: {words}", stopped, stopped=stopped, detail=detail)


def load_located(text: str) -> Located:
    """Parse one YAML document; raises :class:`YamlSyntaxError` with a position."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except _Refused as exc:
        mark = exc.problem_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlSyntaxError(exc.problem or str(exc), where, exc.code) from None
    except yaml.MarkedYAMLError as exc:
        raise syntax_error(exc) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"not valid YAML: {exc}", Mark(1, 1)) from exc
    finally:
        loader.dispose()
    located = Located(None)
    if root is not None:
        located.data = _convert(root, (), located)
    return located


def _convert(node: yaml.Node, path: Path, located: Located) -> Any:
    located.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                message = "a key must be a single word, not a list or a mapping"
                raise YamlSyntaxError(message, _mark(key_node), "yaml-complex-key")
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
