"""The participant pages: the event list, an event's sessions in the visitor's zone, the form.

Server-rendered with no front-end build: the zone picker is a plain GET form, and the one
script only fills in ``?tz=`` from the browser's zone on a first visit. The form posts to the
same registration code as the JSON API, and answers with what happens next, or with the form
again and the error beside its field (422).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse

from notifier import i18n
from notifier.api._calendar import google_link, outlook_link
from notifier.api._limits import TOO_MANY_PAGE, client_limit
from notifier.api._register import register
from notifier.api._render import html_response, json_problem, page_language, render
from notifier.api._request import Deps, find_event
from notifier.api._views import event_summary, page_sessions
from notifier.api._zones import zone_groups_off_loop
from notifier.api.deps import ApiDeps
from notifier.api.schemas import RegistrationForm
from notifier.errors import N_, RegistrationError, TimeExpressionError, TransientDeliveryError
from notifier.events import Event
from notifier.records import ATTENDANCE, Language
from notifier.registrations import RegistrationInput
from notifier.times import load_zone

router = APIRouter(tags=["pages"])

FORM_FIELDS = ("email", "webhook_url", "timezone", "sessions", "attendance", "language")
# longer than any real value: refuse before the checks spend time on megabytes
MAX_LENGTHS = {"email": 320, "webhook_url": 2048, "timezone": 64, "attendance": 16, "language": 16}
MAX_ZONE_LENGTH = 64
NOT_FOUND = html_response("No such event")
# the form answers 422 as a page; FastAPI itself answers a malformed body in JSON
UNPROCESSABLE = html_response(
    "The form again, with the error beside its field", "HTTPValidationError"
)
UNPARSABLE = json_problem("The body is not a form")
EventId = Annotated[str, Path(description="The event's id from its config file")]


@dataclass(frozen=True)
class FormValues:
    """What the form holds, echoed back into it when something must be fixed."""

    timezone: str
    email: str = ""
    webhook_url: str = ""
    sessions: tuple[str, ...] = ()
    attendance: str = "undecided"
    language: str = ""  # the page's, sent back in a hidden field: the registration's language

    def as_input(self) -> RegistrationInput:
        for name, limit in MAX_LENGTHS.items():
            if len(getattr(self, name)) > limit:
                msgid = N_("longer than %(limit)s characters")
                raise RegistrationError.about(name, msgid, limit=limit)
        return RegistrationInput(
            email=self.email or None,
            webhook_url=self.webhook_url or None,
            timezone=self.timezone,
            sessions=self.sessions or None,
            attendance=self.attendance,
            language=self.language or None,
        )


@router.get("/", name="index_page", response_class=HTMLResponse, summary="Event list (HTML)")
async def index_page(request: Request, deps: Deps) -> HTMLResponse:
    events = sorted(deps.events().values(), key=lambda e: e.id)
    language = page_language(request)
    links = {e.id: request.url_for("event_page", event_id=e.id).path for e in events}
    summaries = [event_summary(e).model_copy(update={"name": e.name_in(language)}) for e in events]
    context = {"events": summaries, "event_links": links}
    return render(request, "index.html.j2", context, language=language)


@router.get(
    "/events/{event_id}",
    name="event_page",
    response_class=HTMLResponse,
    summary="An event's sessions and the registration form (HTML)",
    responses={404: NOT_FOUND},
)
async def event_page(
    request: Request,
    deps: Deps,
    event_id: EventId,
    tz: Annotated[str | None, Query(description="IANA zone to show times in")] = None,
) -> HTMLResponse:
    event = find_event(deps, event_id)
    if event is None:
        return _not_found(request, event_id)
    language = page_language(request, event_default=event.language)
    shown, notice = _visitor_zone(tz, language)
    form = FormValues(timezone=shown, language=language)
    return await _event_page(request, deps, event, form, detect_zone=tz is None, zone_notice=notice)


@router.post(
    "/events/{event_id}/register",
    name="register_page",
    response_class=HTMLResponse,
    summary="Register from the form (HTML)",
    responses={
        400: UNPARSABLE,
        404: NOT_FOUND,
        422: UNPROCESSABLE,
        429: TOO_MANY_PAGE,
        503: html_response("The confirmation email cannot be sent now"),
    },
    dependencies=[Depends(client_limit)],
)
async def register_page(
    request: Request, deps: Deps, event_id: EventId, given: Annotated[RegistrationForm, Form()]
) -> HTMLResponse:
    event = find_event(deps, event_id)
    if event is None:
        return _not_found(request, event_id)
    form = FormValues(
        given.timezone,
        given.email.strip(),
        given.webhook_url.strip(),
        tuple(given.sessions),
        given.attendance,
        given.language,
    )
    _ = i18n.gettext_for(_form_language(request, event, form))
    try:
        await register(deps, event, form.as_input())
    except RegistrationError as exc:
        if exc.field in FORM_FIELDS:
            errors = {exc.field: exc.read_in(_)}
            return await _event_page(request, deps, event, form, errors=errors, status_code=422)
        general = f"{exc.field}: {exc.read_in(_)}"
        return await _event_page(request, deps, event, form, general_error=general, status_code=422)
    except TransientDeliveryError:
        minutes = max(1, deps.settings.confirmation_cooldown_s // 60)
        general = _(
            "The confirmation email could not be sent just now; try again in %(minutes)s minutes."
        ) % {"minutes": minutes}
        return await _event_page(request, deps, event, form, general_error=general, status_code=503)
    return _registered_page(request, event, _form_language(request, event, form))


def _form_language(request: Request, event: Event, form: FormValues) -> Language:
    """The language the form was shown in (its hidden field), else negotiated again."""
    return i18n.supported(form.language) or page_language(request, event_default=event.language)


def _visitor_zone(tz: str | None, language: Language) -> tuple[str, str | None]:
    """The zone to show times in, and a notice when the one asked for is not usable."""
    _ = i18n.gettext_for(language)
    if tz is None:
        return "UTC", None
    if len(tz) > MAX_ZONE_LENGTH:
        return "UTC", _("That is not a time zone name; times are shown in UTC.")
    try:
        return load_zone(tz).key, None
    except TimeExpressionError as exc:
        # the time module's reason is English: other languages get the short translated one
        short = _('"%(zone)s" is not a time zone name') % {"zone": tz}
        problem = exc.message if language == i18n.SOURCE_LANGUAGE else short
        notice = _("%(problem)s. Times are shown in UTC; pick your zone below.")
        return "UTC", notice % {"problem": problem}


def calendar_links(request: Request, event: Event, language: Language) -> dict[str, dict[str, str]]:
    """Per session: its ``.ics`` download and the Google and Outlook web calendar links."""
    return {
        s.id: {
            "ics": request.url_for("session_ics", event_id=event.id, session_id=s.id).path,
            "google": google_link(s, language),
            "outlook": outlook_link(s, language),
        }
        for s in event.sessions
        if not s.cancelled
    }


async def _event_page(
    request: Request,
    deps: ApiDeps,
    event: Event,
    form: FormValues,
    *,
    detect_zone: bool = False,
    zone_notice: str | None = None,
    errors: dict[str, str] | None = None,
    general_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    language = _form_language(request, event, form)
    shown, _notice = _visitor_zone(form.timezone, language)
    context = {
        "event": {
            "name": event.name_in(language),
            "venue": event.venue,
            "zone": event.zone,
            "sessions": page_sessions(event.sessions, shown, language),
        },
        "tz": shown,
        "zones": await zone_groups_off_loop(shown, deps.clock(), language),
        "calendar_links": calendar_links(request, event, language),
        "form": form,
        "errors": errors or {},
        "general_error": general_error,
        "zone_notice": zone_notice,
        # only on a first visit: the re-shown form's URL is the POST one, not the page
        "detect_zone": detect_zone,
        # explicit: the form re-shown after a POST lives at the register URL, which has no GET
        "page_action": request.url_for("event_page", event_id=event.id).path,
        "register_action": request.url_for("register_page", event_id=event.id).path,
        "attendance_choices": ATTENDANCE,
    }
    return render(request, "event.html.j2", context, status_code, language=language)


def _registered_page(request: Request, event: Event, language: Language) -> HTMLResponse:
    """The same page for every accepted request: it reveals nothing about the address."""
    context = {
        "event_name": event.name_in(language),
        "event_link": request.url_for("event_page", event_id=event.id).path,
    }
    return render(request, "registered.html.j2", context, language=language)


def _not_found(request: Request, event_id: str) -> HTMLResponse:
    language = page_language(request)
    _ = i18n.gettext_for(language)
    paragraphs = [
        _('There is no event "%(event)s" here.') % {"event": event_id},
        _("The list of events is on the home page."),
    ]
    context = {"title": _("Event not found"), "paragraphs": paragraphs}
    return render(request, "message.html.j2", context, 404, language=language)
