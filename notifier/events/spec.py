"""The event config file as written: pydantic models that refuse unknown keys.

These hold text as the organizer wrote it; :mod:`notifier.events.load` resolves times and
offsets and reports every problem with its file position. The titles, descriptions and
examples here are what an organizer's editor shows while typing (``notifier schema``), and
the examples also complete "missing key" errors: write them for organizers.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from notifier.records import ChannelName

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        max_length=64,
        description="lowercase letters, digits and hyphens",
    ),
]
Text = Annotated[str, Field(min_length=1)]
Mode = Literal["online", "onsite", "hybrid"]
DEFAULT_REMINDERS = ("1d", "1h", "10m")
_OFFSETS = "Exact durations before each session: 1d, 1h, 10m, 1h30m, 2w, 90s"


def _default_channels() -> list[ChannelName]:
    return ["email"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DateSpan(_Strict):
    """The event's first and last day."""

    start: date = Field(description="First day, year-month-day.", examples=["2023-05-23"])
    end: date = Field(description="Last day, year-month-day.", examples=["2023-05-26"])

    @model_validator(mode="after")
    def _ordered(self) -> DateSpan:
        if self.end < self.start:
            raise ValueError("end is before start; the first day comes first")
        return self


class SessionSpec(_Strict):
    """One session (or deadline) as written in the config."""

    id: Slug = Field(
        description="Unique in the file: lowercase letters, digits and hyphens.",
        examples=["human-smuggling-central-med"],
    )
    title: Text = Field(description="Shown in every reminder.", examples=["Opening session"])
    when: Text = Field(
        description="The time as the listing writes it, or ISO 8601 (see docs/times.md).",
        examples=["Tuesday 23 May 09:10-10:00 CEST", "2027-03-13T09:00[Europe/Vienna]"],
    )
    description: str | None = Field(None, description="A longer text for the reminder.")
    day: str | None = Field(
        None,
        description="A day heading or ISO date giving the date for a time-only `when`.",
        examples=["MONDAY, 14 OCTOBER", "2024-10-14"],
    )
    zone: str | None = Field(
        None, description="IANA zone, if not the event's.", examples=["Asia/Tokyo"]
    )
    join_url: HttpUrl | None = Field(
        None,
        description="The link online participants click: the full https:// address.",
        examples=["https://events.example.org/ccpcj-32/opening"],
    )
    room: str | None = Field(None, description="Room for those on site.", examples=["CR3"])
    venue: str | None = Field(None, description="Venue name, if not the event's.")
    mode: Mode | None = Field(None, description="How people attend.", examples=["hybrid"])
    organizer: str | None = Field(None, description="Who runs the session.")
    kind: Literal["session", "deadline"] = Field(
        "session", description="A deadline is one moment, not a range."
    )
    reminders: list[Text] | None = Field(
        None, description=f"{_OFFSETS}; overrides the event's.", examples=[["1h"]]
    )
    channels: list[ChannelName] | None = Field(
        None, description="Overrides the event's channels.", examples=[["email"]]
    )
    cancelled: bool = Field(False, description="true: listed, never announced.")


class EventSpec(_Strict):
    """One event file."""

    id: Slug = Field(
        description="Unique across all files: lowercase letters, digits and hyphens.",
        examples=["ccpcj-32-gitoc"],
    )
    name: Text = Field(description="Shown in reminders.", examples=["CCPCJ side events"])
    zone: Text = Field(
        description="The venue's IANA time zone; settles CET, IST, CST, BST and times "
        "written without a zone.",
        examples=["Europe/Vienna"],
    )
    year: Annotated[int, Field(ge=1900, le=2200)] | None = Field(
        None, description="Year for dates written without one.", examples=[2023]
    )
    dates: DateSpan | None = Field(
        None, description="First and last day; a session outside them is a warning."
    )
    venue: str | None = Field(
        None, description="Default venue name.", examples=["Vienna International Centre"]
    )
    reminders: list[Text] = Field(
        default_factory=lambda: list(DEFAULT_REMINDERS),
        description=f"{_OFFSETS}.",
        examples=[list(DEFAULT_REMINDERS)],
    )
    channels: list[ChannelName] = Field(
        default_factory=_default_channels,
        description="How participants are reminded by default.",
        examples=[["email", "webhook"]],
    )
    lateness: dict[str, Text] = Field(
        default_factory=dict,
        description="Per reminder offset, how late it may still go out after downtime.",
        examples=[{"1d": "12h", "10m": "5m"}],
    )
    sessions: list[SessionSpec] = Field(
        min_length=1, description="The sessions (or deadlines), at least one."
    )
