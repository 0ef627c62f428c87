"""The JSON Schema of an event file, for editors: completion and red squiggles while typing.

Derived from the pydantic models in :mod:`notifier.events.spec` (the one source of truth), so
a key added there appears here; ``schema/event.schema.json`` in the repository is this output
(``notifier schema > schema/event.schema.json``), and a test keeps the two equal.

A YAML language server reads the file with YAML 1.2 types (``year: 2023`` is a number), the
loader reads every scalar as text and lets pydantic convert it; for the keys in an event file
the two agree, which the test over ``config/events`` checks.
"""

from __future__ import annotations

import json
from typing import Any

from notifier.events.spec import EventSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"  # what pydantic 2 emits


def event_schema() -> dict[str, Any]:
    """The schema as a dict: pydantic's, with the dialect and a title organizers recognise."""
    generated = EventSpec.model_json_schema()
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
