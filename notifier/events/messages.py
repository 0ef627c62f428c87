"""pydantic's validation errors in an organizer's words: one table, by pydantic error type.

pydantic's own text is written for programmers (``Input should be a valid URL, relative URL
without a base``); an organizer needs the field, the value they wrote and what to write
instead. Each entry takes the field's dotted name, the value as written and pydantic's
``ctx``; a type missing from the table falls back to pydantic's text after the field name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

Words = Callable[[str, Any, Mapping[str, Any]], str]


def _shown(value: Any) -> str:
    """The value as the organizer wrote it, or what kind of thing it is when it is not text."""
    if isinstance(value, dict):
        return "this mapping"
    if isinstance(value, list):
        return "this list"
    return f'"{value}"'


def _choice(field: str, value: Any, ctx: Mapping[str, Any]) -> str:
    choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
    listed = (
        ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else "".join(choices)
    )
    close = difflib.get_close_matches(str(value), choices, n=1) if isinstance(value, str) else []
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return f"{field}: {_shown(value)} is not one of the choices; write {listed}{hint}"


def _url(field: str, value: Any, _ctx: Mapping[str, Any]) -> str:
    return (
        f"{field}: {_shown(value)} is not a web address; write the full link starting with https://"
    )


def _boolean(field: str, value: Any, _ctx: Mapping[str, Any]) -> str:
    return f"{field}: {_shown(value)} is not yes or no; write true or false"


def _whole(field: str, value: Any, _ctx: Mapping[str, Any]) -> str:
    return f"{field}: {_shown(value)} is not a whole number; write digits only, such as 2027"


def _date(field: str, value: Any, _ctx: Mapping[str, Any]) -> str:
    return f"{field}: {_shown(value)} is not a date; write it as year-month-day, such as 2027-03-13"


def _text(field: str, value: Any, _ctx: Mapping[str, Any]) -> str:
    return f"{field}: write text here, not {_shown(value)}; put it in quotes if it is text"


def _a_list(field: str, value: Any, _ctx: Mapping[str, Any]) -> str:
    return (
        f'{field}: {_shown(value)} should be a list; write [a, b] or one "- item" per line under it'
    )


def _mapping(field: str, value: Any, _ctx: Mapping[str, Any]) -> str:
    return f'{field}: {_shown(value)} should be "key: value" lines indented under it'


def _slug(field: str, value: Any, _ctx: Mapping[str, Any]) -> str:
    return f"{field}: {_shown(value)} must be lowercase letters, digits and hyphens, like ccpcj-32"


# pydantic error type -> the organizer's words; ``notifier validate`` never shows pydantic's own
ERROR_WORDS: dict[str, Words] = {
    "url_parsing": _url,
    "url_scheme": _url,
    "url_type": _url,
    "url_syntax_violation": _url,
    "literal_error": _choice,
    "bool_parsing": _boolean,
    "bool_type": _boolean,
    "int_parsing": _whole,
    "int_type": _whole,
    "int_from_float": _whole,
    "date_parsing": _date,
    "date_type": _date,
    "date_from_datetime_parsing": _date,
    "date_from_datetime_inexact": _date,
    "string_type": _text,
    "list_type": _a_list,
    "dict_type": _mapping,
    "model_type": _mapping,
    "model_attributes_type": _mapping,
    "string_pattern_mismatch": _slug,  # the only patterns in spec.py are the slugs (ids)
    "greater_than_equal": lambda f, v, c: f"{f}: {v} is too small; write {c['ge']} or more",
    "less_than_equal": lambda f, v, c: f"{f}: {v} is too large; write {c['le']} or less",
    "string_too_short": lambda f, _v, _c: f"{f} is empty; write it out or remove the key",
    "string_too_long": lambda f, _v, c: (
        f"{f} is longer than {c['max_length']} characters; shorten it"
    ),
    "too_short": lambda f, _v, c: f"{f} is empty; list at least {c['min_length']}",
    "value_error": lambda f, _v, c: f"{f}: {c['error']}",
}


def organizer_words(error: Mapping[str, Any], field: str) -> str:
    """One pydantic error (``ValidationError.errors()`` item) as what to fix in ``field``."""
    words = ERROR_WORDS.get(str(error["type"]))
    if words is None:
        return f"{field}: {error['msg']}"
    return words(field, error.get("input"), error.get("ctx") or {})
