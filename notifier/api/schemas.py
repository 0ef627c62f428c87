"""Request and response bodies of the HTTP API (pydantic): what /openapi.json documents.

Instants are aware datetimes: UTC ones serialise with ``Z`` (``2023-05-23T07:10:00Z``), local
ones with their offset (``2023-05-23T16:10:00+09:00``). Limits on lengths are there so that a
request cannot make the service format or store megabytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from notifier.records import Attendance, ChannelName, DeliveryStatus

# a session id from a config file (a slug); the cap keeps a list of them small
SessionId = Annotated[str, Field(max_length=200)]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    failing: list[str] = Field(
        default_factory=list, description="The checks that do not hold, by name (empty: ready)."
    )
    checks: dict[str, bool] = Field(description="Each check by name: the store, the scheduler.")


class Problem(BaseModel):
    """An error that is not about one field (unknown event, missing token)."""

    detail: str


class EventSummary(BaseModel):
    id: str
    name: str
    zone: str = Field(description="The venue's IANA time zone.")
    venue: str | None = None
    session_count: int


class SessionOut(BaseModel):
    id: str
    title: str
    kind: str
    start_utc: datetime
    end_utc: datetime | None
    start_local: datetime = Field(description="The start in the requested zone, with offset.")
    end_local: datetime | None
    display: str = Field(
        description="The time in the requested zone, for people: in the language the request's "
        "Accept-Language negotiates (CLDR), or without that header in this fixed English form.",
        examples=["Tue 23 May 2023 16:10–17:00 JST (UTC+09:00)"],
    )
    venue_display: str = Field(
        description="The same at the venue.",
        examples=["Tue 23 May 2023 09:10–10:00 CEST (UTC+02:00)"],
    )
    venue_zone: str
    join_url: str | None = None
    room: str | None = None
    venue: str | None = None
    mode: str | None = None
    organizer: str | None = None
    description: str | None = None
    cancelled: bool = False


class EventDetail(BaseModel):
    id: str
    name: str
    zone: str = Field(description="The venue's IANA time zone.")
    venue: str | None = None
    tz: str = Field(description="The zone the times are shown in (the `tz` query parameter).")
    sessions: list[SessionOut]


class RegistrationIn(BaseModel):
    """An email address, a webhook URL or both; the zone reminders are written in."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=320, examples=["participant@example.org"])
    webhook_url: str | None = Field(
        None, max_length=2048, examples=["https://hooks.example.org/notifier"]
    )
    timezone: str = Field(max_length=64, examples=["Asia/Tokyo"])
    sessions: list[str] | None = Field(
        None, max_length=200, description="Session ids; leave out for the whole event."
    )
    attendance: Attendance = "undecided"
    language: str | None = Field(
        None,
        max_length=16,
        examples=["ja"],
        description="What reminders are written in: en, fr, es, ru, zh (Simplified), ar or ja. "
        "Left out: the request's Accept-Language, then the event's default, then en.",
    )


class RegistrationForm(BaseModel):
    """The page's form: empty fields are left out; a session box per followed session."""

    email: str = ""
    webhook_url: str = ""
    timezone: str = "UTC"
    sessions: list[str] = Field(default_factory=list)
    attendance: str = "undecided"
    language: str = ""  # the page's own language, from a hidden field


class OneClickForm(BaseModel):
    """RFC 8058's body, ``List-Unsubscribe=One-Click``; an empty body is accepted as well."""

    one_click: str | None = Field(None, alias="List-Unsubscribe", examples=["One-Click"])


class RegistrationAccepted(BaseModel):
    """The one answer to every registration request that passed the checks."""

    status: Literal["accepted"] = "accepted"
    next_step: str


class RegistrationRecord(BaseModel):
    """A stored registration, as organizers see it."""

    id: str
    event_id: str
    timezone: str
    created_at: datetime
    email: str | None
    webhook_url: str | None
    sessions: list[str] | None
    attendance: Attendance
    language: str
    confirmed: bool
    reminder_offsets_s: list[int] | None = Field(
        None, description="The reminders chosen on the manage page (seconds); null: all."
    )


class DeliveryRecord(BaseModel):
    """One delivery-log entry: a reminder to one registration on one channel."""

    key: str
    session_id: str
    start_utc: datetime
    offset_s: int
    registration_id: str
    channel: ChannelName
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    updated_at: datetime
    last_error: str | None
    sent_at: datetime | None


class ManageForm(BaseModel):
    """The manage page's form: every field is sent; no session ticked is the whole event."""

    timezone: str = Field("UTC", max_length=64)
    language: str = Field("en", max_length=16)
    attendance: str = Field("undecided", max_length=16)
    sessions: list[SessionId] = Field(default_factory=list, max_length=200)
    reminder_offsets_s: list[int] = Field(default_factory=list, max_length=50)


class MySettings(BaseModel):
    """A participant's own settings, read and changed with their manage link's token."""

    event_id: str
    address: str = Field(description="Masked: j***@example.org, or the webhook's host.")
    timezone: str
    language: str
    attendance: Attendance
    sessions: list[str] | None = Field(description="Session ids; null: the whole event.")
    reminder_offsets_s: list[int] | None = Field(
        description="Seconds before each session; null: every reminder the event offers."
    )
    offered_offsets_s: list[int] = Field(description="The reminder offsets the event offers.")
    calendar_url: str = Field(description="The private iCalendar feed of these sessions.")


class MySettingsPatch(BaseModel):
    """Only the fields given change; ``sessions``/``reminder_offsets_s`` null means all."""

    model_config = ConfigDict(extra="forbid")

    timezone: str | None = Field(None, max_length=64, examples=["Africa/Cairo"])
    language: str | None = Field(None, max_length=16, examples=["ar"])
    attendance: Attendance | None = None
    # bounded item by item too: 200 ids of 200 characters stay under the 64 KiB body limit
    sessions: list[SessionId] | None = Field(None, max_length=200)
    reminder_offsets_s: list[int] | None = Field(None, max_length=50, examples=[[3600]])
