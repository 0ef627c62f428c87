"""The draft config as YAML text, every string quoted so that YAML 1.1 cannot misread it.

PyYAML's ``safe_dump`` already quotes what its own resolver would misread, but other readers
differ (``9:10`` is 550 in YAML 1.1, ``NO`` is false, ``2024-10-14`` a date): every string
value is written double-quoted (long prose as a folded block), so the file means the same
text to every YAML reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_FLOW_KEYS = frozenset({"reminders", "channels"})
_PROSE_KEYS = frozenset({"name", "title", "organizer", "description"})
WIDTH = 100
_SHORT = 80


class _Text(str):
    """A string value: always double-quoted (a time stays on one line, as written)."""


class _Prose(str):
    """A name, title, organizer or description: folded at WIDTH when it is long."""


class _Flow(list[Any]):
    """A short list written on one line: ``reminders: ["1d", "1h", "10m"]``."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        # sessions share their day heading's text; anchors (&id001) would only confuse editors
        return True


def _represent_text(dumper: yaml.SafeDumper, data: _Text) -> yaml.ScalarNode:
    return dumper.represent_scalar(_STR, str(data), style='"')


def _represent_prose(dumper: yaml.SafeDumper, data: _Prose) -> yaml.ScalarNode:
    # folded blocks (">-") wrap long titles and descriptions at WIDTH without escapes; PyYAML
    # falls back to double quotes itself when a block cannot hold the text exactly
    style = ">" if "\n" in data or len(data) > _SHORT else '"'
    return dumper.represent_scalar(_STR, str(data), style=style)


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence(_SEQ, list(data), flow_style=True)


_Dumper.add_representer(_Text, _represent_text)
_Dumper.add_representer(_Prose, _represent_prose)
_Dumper.add_representer(_Flow, _represent_flow)


def dump_config(config: dict[str, Any], header: Iterable[str] = ()) -> str:
    """``config`` as YAML, after ``header`` lines written as comments."""
    body = yaml.dump(
        _tag(config),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=WIDTH,
        default_flow_style=False,
    )
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header)
    return comments + body


def _tag(value: Any, key: str | None = None) -> Any:
    """``value`` with strings and short lists wrapped for their representers."""
    if isinstance(value, dict):
        return {k: _tag(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_tag(item) for item in value]
        return _Flow(items) if key in _FLOW_KEYS else items
    if isinstance(value, str):
        return _Prose(value) if key in _PROSE_KEYS else _Text(value)
    return value
