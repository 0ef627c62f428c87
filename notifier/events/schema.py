"""The JSON Schema of an event file, for editors: completion and red squiggles while typing.

Derived from the pydantic models in :mod:`notifier.events.spec` (the one source of truth for
keys and types), with the descriptions and examples of :mod:`notifier.events.keydocs`; a key
added to the models appears here. ``schema/event.schema.json`` in the repository is this
output (``notifier schema > schema/event.schema.json``), and a test keeps the two equal.

A YAML language server reads the file with YAML 1.2 types (``year: 2023`` is a number); the
loader reads every scalar as text and lets pydantic convert it. For the keys of an event file
the two agree, which the test over ``config/events`` checks.
"""

from __future__ import annotations

import json
from typing import Any

from notifier.events.keydocs import KEY_DOCS
from notifier.events.spec import EventSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"  # what pydantic 2 emits


def _document(definition: dict[str, Any], model_name: str) -> None:
    """Add the organizer's description and examples to each documented key of one model."""
    for key, doc in KEY_DOCS.get(model_name, {}).items():
        prop = definition.get("properties", {}).get(key)
        if prop is None:
            continue
        prop["description"] = doc.description
        if doc.examples:
            prop["examples"] = list(doc.examples)


def event_schema() -> dict[str, Any]:
    """The schema as a dict: pydantic's, documented, with the dialect and a plain title."""
    generated = EventSpec.model_json_schema()
    _document(generated, EventSpec.__name__)
    for name, definition in generated.get("$defs", {}).items():
        _document(definition, name)
    return {
        "$schema": DIALECT,
        **generated,
        "title": "notifier event file",
        "description": (
            "One event and its sessions, reminded in every participant's time zone. "
            "Check a file with `notifier validate FILE`; see the README's config format."
        ),
    }


def event_schema_text() -> str:
    """The schema as the repository ships it: two-space JSON, keys in model order, newline."""
    return json.dumps(event_schema(), indent=2, ensure_ascii=False) + "\n"
