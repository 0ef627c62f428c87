"""YAML read as an editor's YAML language server reads it: YAML 1.2 core schema types.

The loader keeps every scalar as text (see notifier/events/_yaml.py); an editor checking a
file against ``schema/event.schema.json`` sees ``year: 2023`` as a number and ``cancelled:
true`` as a boolean, but ``when: 9:10`` and ``start: 2023-05-23`` as strings (YAML 1.2 has no
sexagesimal numbers or timestamps). Reading the same way here makes the schema test an
editor's check, not ours.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


def _scalar(node: yaml.ScalarNode) -> Any:
    text = str(node.value)
    if node.style is not None:  # quoted or block: always a string
        return text
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text.lower() == "true"
    if _INT.match(text):
        return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _data(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return {str(key.value): _data(value) for key, value in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_data(item) for item in node.value]
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node)


def load_yaml12(text: str) -> Any:
    """The document's data with YAML 1.2 core types (anchors resolved by the composer)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return None if node is None else _data(node)
