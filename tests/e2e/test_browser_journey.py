"""Issue #16's "done when", end to end: two readers in real Chromium against ``notifier run``.

A participant in Tokyo reading Japanese and one in Cairo reading Arabic each open the event page
in a browser that speaks their language and runs in their zone, register through the form,
follow the confirmation link from the email, change their sessions on the manage page, subscribe
to their feed, and get the reminder of the session they now follow, in their language, with
their time and the venue's as CLDR writes them. The expected dates and times are computed here
with ``babel.dates`` from the instant and the zone, not through notifier's own formatting.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time
from playwright.sync_api import Browser, Page, expect

from notifier import i18n
from notifier.records import Language
from tests.support.browser import assert_fits_a_phone, chromium, phone_page
from tests.support.calendars import Entry, read_twice
from tests.support.daemon import EVENT_ID, EVENT_NAME, Daemon, Workspace, http_text
from tests.support.events import VENUE_ZONE, VENUE_ZONE_NAME, event_yaml, soon, write_atomically
from tests.support.mail import link_in, plain_text
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_until

START_IN = timedelta(minutes=5)  # the event's one reminder: 5 minutes before each session
NOT_YET_S = 3600.0  # nothing comes due while the readers register and change their minds
MAIL_DEADLINE_S = 90.0  # a mail the daemon sends, on a loaded 2-core machine
PAGE_DEADLINE_MS = 60_000  # a page action or expectation, same machine
PLAYWRIGHT_EXPECT_DEFAULT_MS = 5_000  # what expect() waits by default, restored afterwards
SESSIONS = ("talk", "panel", "closing")
UID = re.compile(rf"^{EVENT_ID}\.([a-z]+)@")


@dataclass(frozen=True)
class Reader:
    """One participant: the browser's locale and zone, and the sessions they pick."""

    language: Language
    browser_locale: str
    zone: str
    email: str
    first: tuple[str, ...]  # ticked on the event page
    then: tuple[str, ...]  # ticked on the manage page instead

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def _(self, message: str) -> str:
        """The catalog's translation, which must not be the English (or the check is idle)."""
        translated = i18n.gettext_for(self.language)(message)
        assert translated != message, f"{self.language} does not translate {message!r}"
        return translated


READERS = (
    Reader("ja", "ja-JP", "Asia/Tokyo", "hanako@example.org", ("talk",), ("panel",)),
    Reader(
        "ar",
        "ar-EG",
        "Africa/Cairo",
        "layla@example.org",
        ("talk", "closing"),
        ("panel", "closing"),
    ),
)


def cldr_day_and_time(instant: datetime, language: Language, zone: ZoneInfo) -> tuple[str, str]:
    """CLDR's full date and short time of ``instant`` in ``zone``, straight from Babel."""
    cldr = i18n.locale(language)  # the language's CLDR locale (zh is zh_Hans): no formatting
    day = format_date(instant.astimezone(zone).date(), "full", locale=cldr)
    return day, format_time(instant, "short", tzinfo=zone, locale=cldr)


def _write(workspace: Workspace, starts: Mapping[str, datetime]) -> None:
    text = event_yaml(starts, event_id=EVENT_ID, name=EVENT_NAME, reminders=[START_IN])
    write_atomically(workspace.config_file, text)


def _feed(url: str) -> dict[str, Entry]:
    """The feed behind ``url``, read by two parsers that must agree; by session id."""
    status, text = http_text("GET", url)
    assert status == 200, text
    entries = {}
    for uid, entry in read_twice(text).items():
        found = UID.match(uid)
        assert found is not None, uid
        entries[found.group(1)] = entry
    return entries


def _mails(smtp: SmtpServer, reader: Reader, count: int) -> list[EmailMessage]:
    def arrived() -> list[EmailMessage] | None:
        mails = smtp.handler.accepted_for(reader.email)
        return mails if len(mails) >= count else None

    return wait_until(arrived, timeout_s=MAIL_DEADLINE_S, what=f"{count} mail(s) to {reader.email}")


@dataclass
class Journey:
    """What one reader's walk through the pages leaves for the checks after the reminder."""

    reader: Reader
    feed_url: str  # the https form of the private feed, as the manage page shows it


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Chromium, with page expectations as patient as this test's other waits (a form POST
    answers only once its confirmation mail went out, slow on a loaded machine)."""
    expect.set_options(timeout=PAGE_DEADLINE_MS)
    try:
        with chromium() as launched:
            yield launched
    finally:
        expect.set_options(timeout=PLAYWRIGHT_EXPECT_DEFAULT_MS)


def test_a_tokyo_reader_of_japanese_and_a_cairo_reader_of_arabic_go_the_whole_way(
    workspace: Workspace, smtp: SmtpServer, browser: Browser, tmp_path: Path
) -> None:
    """Register, confirm, manage, subscribe and get the reminder, each in their own language
    and zone, through the running service: the issue is done only when all of it holds."""
    port = workspace.use_http_port()
    base = f"http://127.0.0.1:{port}"
    later = soon(NOT_YET_S) + START_IN
    starts = {name: later + timedelta(hours=n) for n, name in enumerate(SESSIONS)}
    _write(workspace, starts)
    daemon = workspace.start()
    daemon.wait_for("http_listening")

    journeys = [_register_confirm_manage(browser, base, smtp, r, starts, tmp_path) for r in READERS]

    moved = dict(starts, talk=soon(3) + START_IN, panel=soon(6) + START_IN)
    daemon.edit_config(lambda: _write(workspace, moved), until="config_reloaded")
    reminders = {j.reader.email: _mails(smtp, j.reader, 2)[1] for j in journeys}
    _wait_for_the_left_sessions_turn(daemon, moved["talk"])
    feeds = {j.reader.email: _feed(j.feed_url) for j in journeys}  # the moves, as subscribed
    assert daemon.stop() == 0

    for journey in journeys:
        reader = journey.reader
        assert len(smtp.handler.accepted_for(reader.email)) == 2  # no reminder of "talk"
        _check_reminder(reminders[reader.email], reader, moved["panel"])
        feed = feeds[reader.email]
        confirmed = {name: e.start for name, e in feed.items() if e.status == "CONFIRMED"}
        assert confirmed == {name: moved[name] for name in reader.then}
        assert feed["talk"].status == "CANCELLED"


def _register_confirm_manage(
    browser: Browser,
    base: str,
    smtp: SmtpServer,
    reader: Reader,
    starts: Mapping[str, datetime],
    folder: Path,
) -> Journey:
    """The reader's pages, from the event page to the saved manage form; their feed link."""
    page = phone_page(
        browser, locale=reader.browser_locale, timezone_id=reader.zone, timeout_ms=PAGE_DEADLINE_MS
    )
    page.goto(f"{base}/events/{EVENT_ID}")
    page.wait_for_url(f"**/events/{EVENT_ID}?tz={reader.zone.replace('/', '%2F')}")
    _check_page_language(page, reader)
    day, time = cldr_day_and_time(starts["talk"], reader.language, reader.tz)
    venue_day, venue_time = cldr_day_and_time(starts["talk"], reader.language, VENUE_ZONE)
    expect(page.locator("#session-talk .when")).to_contain_text(day)
    expect(page.locator("#session-talk .when")).to_contain_text(time)
    expect(page.locator("#session-talk .venue-time")).to_contain_text(venue_day)
    expect(page.locator("#session-talk .venue-time")).to_contain_text(venue_time)
    for field in ("#email", "#webhook_url"):  # an address reads left to right in any page
        expect(page.locator(field)).to_have_attribute("dir", "ltr")
    assert_fits_a_phone(page)
    page.screenshot(path=str(folder / f"event-page-{reader.language}.png"), full_page=True)

    page.fill("#email", reader.email)
    _tick(page, reader.first)
    page.get_by_role("button", name=reader._("Get reminders")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reader._("Check your inbox"))
    [confirmation] = _mails(smtp, reader, 1)
    _check_confirmation(confirmation, reader, starts)

    page.goto(link_in(confirmation, "confirm"))
    page.get_by_role("button", name=reader._("Confirm my reminders")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reader._("Reminders confirmed"))
    _check_page_language(page, reader)

    page.goto(link_in(confirmation, "manage"))
    _check_page_language(page, reader)
    _tick(page, reader.then, untick=set(reader.first) - set(reader.then))
    page.get_by_role("button", name=reader._("Save")).click()
    saved = reader._("Saved. The reminders not sent yet will follow these settings.")
    expect(page.get_by_role("status")).to_have_text(saved)
    _check_page_language(page, reader)
    for name in SESSIONS:
        box = page.locator(f'input[name="sessions"][value="{name}"]')
        expect(box).to_be_checked(checked=name in reader.then)
    assert_fits_a_phone(page)
    page.screenshot(path=str(folder / f"manage-page-{reader.language}.png"), full_page=True)
    return Journey(reader, _subscribe(page, confirmation, reader, starts))


def _tick(page: Page, names: Sequence[str], untick: set[str] | None = None) -> None:
    for name in sorted(untick or ()):
        page.uncheck(f'input[name="sessions"][value="{name}"]')
    for name in names:
        page.check(f'input[name="sessions"][value="{name}"]')


def _check_page_language(page: Page, reader: Reader) -> None:
    root = page.locator("html")
    expect(root).to_have_attribute("lang", i18n.html_lang(reader.language))
    expect(root).to_have_attribute("dir", "rtl" if reader.language == "ar" else "ltr")


def _subscribe(
    page: Page, confirmation: EmailMessage, reader: Reader, starts: Mapping[str, datetime]
) -> str:
    """The feed's two forms on the manage page (the mail's is the same); the feed already
    lists the sessions just chosen and marks the one left as cancelled."""
    webcal = page.get_by_role("link", name=reader._("Subscribe in your calendar app"))
    webcal_url = webcal.get_attribute("href")
    feed_url = page.locator("code.secret").inner_text().strip()
    assert webcal_url is not None
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_.\-]+\.ics", feed_url)
    assert webcal_url == "webcal://" + feed_url.removeprefix("http://")
    assert webcal_url in plain_text(confirmation)
    feed = _feed(feed_url)
    confirmed = {name: e.start for name, e in feed.items() if e.status == "CONFIRMED"}
    assert confirmed == {name: starts[name] for name in reader.then}
    assert feed["talk"].status == "CANCELLED"
    return feed_url


def _check_confirmation(mail: EmailMessage, reader: Reader, starts: Mapping[str, datetime]) -> None:
    """The confirmation request in the reader's language, each session chosen with both times."""
    subject = reader._("Confirm your reminders for %(event)s") % {"event": EVENT_NAME}
    assert mail["Subject"] == subject
    text = plain_text(mail)
    assert reader._("Confirm here:") + " " + link_in(mail, "confirm") in text
    lines = text.splitlines()
    for name in reader.first:
        at = lines.index(f"  - Side event {name}")
        yours, venue = lines[at + 1].strip(), lines[at + 2].strip()
        assert yours.startswith(reader._("Your time (%(zone)s)") % {"zone": reader.zone} + ": ")
        assert venue.startswith(reader._("Venue time (%(zone)s)") % {"zone": VENUE_ZONE_NAME})
        for line, zone in ((yours, reader.tz), (venue, VENUE_ZONE)):
            day, time = cldr_day_and_time(starts[name], reader.language, zone)
            assert day in line, (day, line)
            assert time in line, (time, line)
    html = mail.get_body(("html",))
    assert html is not None
    assert f'lang="{i18n.html_lang(reader.language)}"' in str(html.get_content())


def _check_reminder(mail: EmailMessage, reader: Reader, start: datetime) -> None:
    """The panel's reminder: in the reader's language, both times as CLDR writes them."""
    prefix = reader._("Reminder: %(title)s — %(status)s").split("%(title)s")[0]
    assert mail["Subject"].startswith(prefix + "Side event panel"), mail["Subject"]
    lines = plain_text(mail).splitlines()
    yours = _line(lines, reader._("Your time (%(zone)s)") % {"zone": reader.zone} + ": ")
    venue = _line(lines, reader._("Venue time (%(zone)s)") % {"zone": VENUE_ZONE_NAME} + ": ")
    for line, zone in ((yours, reader.tz), (venue, VENUE_ZONE)):
        day, time = cldr_day_and_time(start, reader.language, zone)
        assert day in line, (day, line)
        assert time in line, (time, line)
    assert "Your time" not in "\n".join(lines)  # no English left beside the translation


def _line(lines: Sequence[str], label: str) -> str:
    found = [line for line in lines if line.startswith(label)]
    assert len(found) == 1, (label, lines)
    return found[0]


def _wait_for_the_left_sessions_turn(daemon: Daemon, talk: datetime) -> None:
    """The talk's reminder came due too (before the panel's), and found nobody to remind."""
    key = f"{EVENT_ID}/talk/{talk:%Y%m%dT%H%M%SZ}/{int(START_IN.total_seconds())}"

    def done() -> dict[str, Any] | None:
        ends = ("reminder_fanout_done", "reminder_skipped")
        entries = daemon.log_entries()
        return next((e for e in entries if e["event"] in ends and e.get("reminder") == key), None)

    entry = wait_until(done, timeout_s=MAIL_DEADLINE_S, what=daemon.log_text)
    assert entry.get("sent", 0) == 0, entry
