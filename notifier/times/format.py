"""Instants as people read them: in a zone, with its abbreviation and UTC offset."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from notifier.times.wall import describe, offset_text


def utc_z(moment: datetime) -> str:
    """``2023-05-23T07:10:00Z``: the form APIs and JSON output use."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_moment(moment: datetime, tz: tzinfo) -> str:
    """``Tue 23 May 2023 16:10 JST (UTC+09:00)``."""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {_label(local)}"


def format_range(start: datetime, end: datetime | None, tz: tzinfo) -> str:
    """``Tue 23 May 2023 16:10–17:00 JST (UTC+09:00)``; the end's date only if it differs."""
    first = start.astimezone(tz)
    if end is None:
        return format_moment(first, tz)
    last = end.astimezone(tz)
    head = f"{first:%a} {first.day} {first:%b %Y %H:%M}"
    if last.date() == first.date():
        tail = f"{last:%H:%M}"
    else:
        tail = f"{last:%a} {last.day} {last:%b %Y %H:%M}"
    if last.utcoffset() != first.utcoffset():
        return f"{head} {_label(first)} – {tail} {_label(last)}"
    return f"{head}–{tail} {_label(last)}"


def _label(local: datetime) -> str:
    """``JST (UTC+09:00)``, or just ``UTC+04:00`` where tzdata has no letters for it."""
    text = describe(local)
    if ", " in text:
        name, offset = text.split(", ")
        return f"{name} ({offset})"
    return text


def to_listing(moment: datetime) -> str:
    """A listing-style text that parses back to the same instant: weekday, date, offset."""
    return f"{moment:%A} {moment.day} {moment:%B %Y %H:%M} {offset_text(moment)}"


def to_iso_zoned(moment: datetime) -> str:
    """RFC 9557 form, ``2023-05-23T09:10:00+02:00[Europe/Vienna]``, exact and readable."""
    text = moment.isoformat(timespec="seconds")
    if isinstance(moment.tzinfo, ZoneInfo):
        text += f"[{moment.tzinfo.key}]"
    return text
