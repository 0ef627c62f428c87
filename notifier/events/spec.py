"""The event config file as written: pydantic models that refuse unknown keys.

These hold text as the organizer wrote it; :mod:`notifier.events.load` resolves times and
offsets and reports every problem with its file position.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationInfo,
    field_validator,
    model_validator,
)

from notifier.records import Language, ParticipantChannelName

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


def _default_channels() -> list[ParticipantChannelName]:
    return ["email"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DateSpan(_Strict):
    """The event's first and last day."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> DateSpan:
        if self.end < self.start:
            raise ValueError("end is before start; the first day comes first")
        return self


class MessageTemplateSpec(_Strict):
    """An organizer's own words for one message in one language (Jinja2, sandboxed)."""

    subject: Text
    text: Text
    html: Text | None = None  # without it, the text is sent alone (no HTML part)


class TemplatesSpec(_Strict):
    """Per language, the reminder's and the confirmation request's subject and body."""

    reminder: dict[Language, MessageTemplateSpec] = Field(default_factory=dict)
    confirmation: dict[Language, MessageTemplateSpec] = Field(default_factory=dict)


class SessionSpec(_Strict):
    """One session (or deadline) as written in the config."""

    id: Slug
    title: Text
    # the title in other languages; readers of any other see ``title`` as written
    titles: dict[Language, Text] = Field(default_factory=dict)
    when: Text
    description: str | None = None
    day: str | None = None
    zone: str | None = None
    join_url: HttpUrl | None = None
    room: str | None = None
    venue: str | None = None
    mode: Mode | None = None
    organizer: str | None = None
    # the same as a list, as programmes print them ("Organized by A, B and C"); one or the other
    organizers: list[Text] | None = None
    kind: Literal["session", "deadline"] = "session"
    reminders: list[Text] | None = None
    channels: list[ParticipantChannelName] | None = None
    cancelled: bool = False

    @field_validator("organizers")
    @classmethod
    def _one_organizer_key(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        # reported at the organizers line: organizer is declared first, so it is in info.data
        if value is not None and info.data.get("organizer") is not None:
            raise ValueError("give organizer or organizers, not both; keep organizers (a list)")
        return value

    @property
    def organizer_text(self) -> str | None:
        """``organizers`` as one line (``A, B``), or ``organizer`` as written."""
        if self.organizers:
            return ", ".join(" ".join(name.split()) for name in self.organizers)
        return self.organizer


class BroadcastSpec(_Strict):
    """An organizer's chat room: an Apprise URL with ``${NAME}`` secrets, and its offsets."""

    name: Slug
    url: Text
    reminders: list[Text] | None = None  # None: the event's reminders
    sessions: list[Slug] | None = None  # None: every session


class EventSpec(_Strict):
    """One event file."""

    id: Slug
    name: Text
    # the name in other languages; readers of any other see ``name`` as written
    titles: dict[Language, Text] = Field(default_factory=dict)
    # pages and messages for a reader whose language is not known otherwise
    language: Language | None = None
    templates: TemplatesSpec = Field(default_factory=TemplatesSpec)
    zone: Text
    year: Annotated[int, Field(ge=1900, le=2200)] | None = None
    dates: DateSpan | None = None
    venue: str | None = None
    reminders: list[Text] = Field(default_factory=lambda: list(DEFAULT_REMINDERS))
    channels: list[ParticipantChannelName] = Field(default_factory=_default_channels)
    lateness: dict[str, Text] = Field(default_factory=dict)
    broadcasts: list[BroadcastSpec] = Field(default_factory=list)
    sessions: list[SessionSpec] = Field(min_length=1)
