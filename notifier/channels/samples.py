"""``notifier validate``'s check of an organizer's templates: render each against a sample.

A syntax error is found when the file loads; what only rendering finds (a misspelt variable,
``StrictUndefined``; a filter on the wrong type; the sandbox refusing an attribute) is found
here, with the variables a real reminder and confirmation would get, for the event's first
session of each kind, in the template's language.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from notifier.channels.base import ReminderMessage
from notifier.channels.compose import reminder_facts
from notifier.channels.confirm import confirmation_values, session_times
from notifier.channels.custom import TemplateRenderError, render_message
from notifier.events import Event, Problem, Session
from notifier.events.model import MessageTemplate
from notifier.records import Registration, ReminderRef

SAMPLE_BASE_URL = "https://reminders.example.org"


def check_event_templates(event: Event) -> list[Problem]:
    """Every render error of the event's templates, at ``file:line`` of the failing line."""
    problems = []
    for template in event.templates:
        for values in _samples(event, template):
            try:
                render_message(template, values, lang=template.language, direction="ltr")
            except TemplateRenderError as exc:
                problems.append(_problem(exc))
                break  # one report per template: the same mistake fails every sample
    return problems


def _problem(exc: TemplateRenderError) -> Problem:
    template = exc.template
    line = template.line_of(exc.field, exc.line)
    message = (
        f"the {template.kind} template ({template.language}, {exc.field}), its line "
        f"{exc.line}: {exc.reason.rstrip('.')}; see docs/languages.md for the variables"
    )
    return Problem(template.source, line, 1, "error", "template-render", message)


def _samples(event: Event, template: MessageTemplate) -> list[dict[str, Any]]:
    registration = Registration(
        id="sample",
        event_id=event.id,
        timezone=event.zone,
        created_at=datetime(2000, 1, 1, tzinfo=UTC),
        email="participant@example.org",
        language=template.language,
    )
    if template.kind == "confirmation":
        titles = [s.title_in(template.language) for s in event.sessions[:2]]
        return [
            confirmation_values(
                event.zone,
                event.name_in(template.language),
                chosen,
                f"{SAMPLE_BASE_URL}/confirm/sample",
                f"{SAMPLE_BASE_URL}/unsubscribe/sample",
                manage_url=f"{SAMPLE_BASE_URL}/manage/sample",
                calendar_url="webcal://reminders.example.org/calendar/sample.ics",
                times=session_times(event, ids, template.language, event.zone),
            )
            for chosen, ids in ((titles, [s.id for s in event.sessions[:2]]), (None, None))
        ]
    kinds = {s.kind: s for s in reversed(event.sessions)}  # the first of each kind
    return [{"f": _facts(event, s, registration)} for s in kinds.values()]


def _facts(event: Event, session: Session, registration: Registration) -> Any:
    offset = session.reminders[0] if session.reminders else timedelta(hours=1)
    message = ReminderMessage(
        delivery_key="sample",
        ref=ReminderRef(event.id, session.id, session.start_utc, int(offset.total_seconds())),
        event_id=event.id,
        event_name=event.name,
        session=session,
        registration=registration,
        offset=offset,
        now_utc=session.start_utc - offset,
        unsubscribe_url=f"{SAMPLE_BASE_URL}/unsubscribe/sample",
        sequence=0,
        event=event,
        manage_url=f"{SAMPLE_BASE_URL}/manage/sample",
        calendar_url=f"{SAMPLE_BASE_URL}/calendar/sample.ics",
    )
    return reminder_facts(message, SAMPLE_BASE_URL)
