"""The participant page in a real headless Chromium whose clock is in Tokyo, at phone width.

The app runs for real, as the daemon serves it (``notifier.service.http.make_server``): uvicorn
on a free loopback port, in a thread with its own event loop, where the SQLite store and the
outbox mailer are opened first. The browser is Debian's
chromium driven by Playwright (``executable_path``: Playwright downloads no browser here).
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Page, expect

from notifier import i18n
from notifier.api import create_app
from notifier.events import Event
from notifier.service.http import ApiServer, make_server
from notifier.store import Store
from tests.support.api import CCPCJ, FIREARMS, ROOT, SMUGGLING, AppSetup, open_deps
from tests.support.browser import assert_fits_a_phone, phone
from tests.support.mail import link_in, read_eml
from tests.support.waiting import wait_until

# CLDR's English (the page's language for en-GB): thin and narrow no-break spaces, which \s
# matches in Python and in the browser's JavaScript alike
TOKYO_TIME = re.compile(r"4:10\s–\s5:00\sPM JST \(UTC\+09:00\)")
VIENNA_TIME = re.compile(r"9:10\s–\s10:00\sAM CEST \(UTC\+02:00\)")
SCREENSHOT = ROOT / "test-artifacts" / "participant-page.png"
STARTUP_DEADLINE_S = 10.0
T = TypeVar("T")


@dataclass
class Served:
    """The app behind a real socket; store calls run in the server's loop via ``run``."""

    base_url: str
    outbox: Path
    loop: asyncio.AbstractEventLoop | None = None
    store: Store | None = None
    server: ApiServer | None = None

    @property
    def started(self) -> bool:
        return self.server is not None and self.server.started

    def run(self, call: Callable[[Store], Coroutine[Any, Any, T]]) -> T:
        if self.loop is None or self.store is None:
            raise RuntimeError("the server has not started")
        future = asyncio.run_coroutine_threadsafe(call(self.store), self.loop)
        return future.result(timeout=10)

    async def serve(self, setup: AppSetup, sock: socket.socket) -> None:
        """The daemon's way: deps made in this loop, the app on ``make_server``'s uvicorn."""
        deps = await open_deps(setup)
        try:
            self.loop, self.store = asyncio.get_running_loop(), deps.store
            self.server = make_server(create_app(deps), setup.settings())
            await self.server.serve(sockets=[sock])
        finally:
            await deps.store.aclose()


@pytest.fixture
def served(tmp_path: Path, events: Mapping[str, Event]) -> Iterator[Served]:
    """uvicorn in a thread with its own loop; the socket is bound first, so links know the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    setup = AppSetup(tmp_path, events, public_base_url=base_url)
    served = Served(base_url, setup.outbox)
    thread = threading.Thread(target=lambda: asyncio.run(served.serve(setup, sock)))
    thread.start()
    try:
        wait_until(
            lambda: served.started or not thread.is_alive(),
            timeout_s=STARTUP_DEADLINE_S,
            what="uvicorn to start",
        )
        if not served.started:
            pytest.fail("uvicorn did not start; see the captured log")
        yield served
    finally:
        if served.server is not None:
            served.server.should_exit = True
        thread.join(timeout=STARTUP_DEADLINE_S)
        sock.close()


def _register_and_confirm(page: Page, served: Served) -> None:
    page.fill("#email", "ann@example.org")
    page.check(f'input[name="sessions"][value="{SMUGGLING}"]')
    page.check("#attendance-online")
    page.get_by_role("button", name="Get reminders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert_fits_a_phone(page)
    [eml] = sorted(served.outbox.glob("*.eml"))
    confirm_url = link_in(read_eml(eml), "confirm")
    assert confirm_url.startswith(f"{served.base_url}/confirm/")
    page.goto(confirm_url)
    page.get_by_role("button", name="Confirm my reminders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reminders confirmed")
    expect(page.locator("main")).to_contain_text(TOKYO_TIME)
    assert_fits_a_phone(page)


def test_tokyo_visitor_sees_1610_registers_and_confirms_through_the_emailed_link(
    served: Served,
) -> None:
    """The whole participant path, as a phone in Tokyo runs it, must end confirmed in the store."""
    with phone("en-GB", "Asia/Tokyo") as page:
        page.goto(f"{served.base_url}/events/{CCPCJ}")
        page.wait_for_url("**/events/*?tz=Asia%2FTokyo")  # the page's own script did this
        session = page.locator(f"#session-{SMUGGLING}")
        expect(session.locator(".when")).to_contain_text(TOKYO_TIME)
        expect(session.locator(".venue-time")).to_contain_text(VIENNA_TIME)
        expect(page.locator("#timezone")).to_have_value("Asia/Tokyo")
        assert_fits_a_phone(page)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        _register_and_confirm(page, served)
    [registration] = served.run(lambda store: store.list_registrations(CCPCJ))
    assert registration.email == "ann@example.org"
    assert (registration.timezone, registration.attendance) == ("Asia/Tokyo", "online")
    assert registration.sessions == (SMUGGLING,)
    assert registration.confirmed is True


@pytest.mark.parametrize(
    ("locale", "zone", "title", "button", "confirmed"),
    [
        pytest.param(
            "ja-JP",
            "Asia/Tokyo",
            "2023年5月23日火曜日",
            "リマインダーを受け取る",
            "リマインダーを確定しました",
            id="tokyo-ja",
        ),
        pytest.param(
            "ar-EG",
            "Africa/Cairo",
            "الثلاثاء، 23 مايو 2023",
            "احصل على التذكيرات",
            "تم تأكيد التذكيرات",
            id="cairo-ar",
        ),
    ],
)
def test_a_reader_registers_in_their_language_and_confirms_in_it(
    served: Served, locale: str, zone: str, title: str, button: str, confirmed: str
) -> None:
    """Tokyo in Japanese, Cairo in Arabic (right to left): page, mail and confirmation alike."""
    language = i18n.supported(locale[:2])
    assert language is not None
    with phone(locale, zone) as page:
        page.goto(f"{served.base_url}/events/{CCPCJ}")
        page.wait_for_url(f"**/events/*?tz={zone.replace('/', '%2F')}")
        root = page.locator("html")
        expect(root).to_have_attribute("lang", language)
        expect(root).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        expect(page.locator(f"#session-{SMUGGLING} .when")).to_contain_text(title)
        assert_fits_a_phone(page)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shot = SCREENSHOT.with_name(f"event-page-{language}.png")
        page.screenshot(path=str(shot), full_page=True)
        page.fill("#email", f"{language}@example.org")
        page.check(f'input[name="sessions"][value="{SMUGGLING}"]')
        page.get_by_role("button", name=button).click()
        wait_until(lambda: any(served.outbox.glob("*.eml")), what="the confirmation mail")
        [eml] = sorted(served.outbox.glob("*.eml"))
        mail = read_eml(eml)
        body = mail.get_body(("html",))
        assert body is not None
        assert f'lang="{language}"' in str(body.get_content())
        wanted = i18n.gettext_for(language)("Confirm your reminders for %(event)s")
        assert wanted != "Confirm your reminders for %(event)s"
        assert mail["Subject"].startswith(wanted.split("%(event)s")[0])
        page.goto(link_in(mail, "confirm"))
        page.locator("form button").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(confirmed)
        expect(page.locator("main li")).to_contain_text(title)
        assert_fits_a_phone(page)
    [registration] = served.run(lambda store: store.list_registrations(CCPCJ))
    assert (registration.language, registration.timezone) == (language, zone)
    assert registration.confirmed is True


MANAGE_SCREENSHOT = ROOT / "test-artifacts" / "manage-page.png"


def test_the_emailed_manage_link_changes_zone_and_sessions_in_a_real_browser(
    served: Served,
) -> None:
    """The manage page, as a phone uses it: pick Cairo, swap a session, save; the store follows,
    and the page answers in the language just chosen."""
    with phone("en-GB", "Asia/Tokyo") as page:
        page.goto(f"{served.base_url}/events/{CCPCJ}?tz=Asia%2FTokyo")
        _register_and_confirm(page, served)
        [eml] = sorted(served.outbox.glob("*.eml"))
        page.goto(link_in(read_eml(eml), "manage"))
        expect(page.locator("#timezone")).to_have_value("Asia/Tokyo")
        expect(page.locator('#language option[value="ja"]')).to_have_text("日本語")
        page.select_option("#timezone", "Africa/Cairo")
        page.select_option("#language", "fr")
        page.uncheck(f'input[name="sessions"][value="{SMUGGLING}"]')
        page.check(f'input[name="sessions"][value="{FIREARMS}"]')
        page.uncheck('input[name="reminder_offsets_s"][value="86400"]')
        page.get_by_role("button", name="Save").click()
        saved = i18n.gettext_for("fr")(
            "Saved. The reminders not sent yet will follow these settings."
        )
        expect(page.get_by_role("status")).to_have_text(saved)
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("#timezone")).to_have_value("Africa/Cairo")
        expect(page.locator("#language")).to_have_value("fr")
        assert_fits_a_phone(page)
        MANAGE_SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(MANAGE_SCREENSHOT), full_page=True)
    [registration] = served.run(lambda store: store.list_registrations(CCPCJ))
    assert (registration.timezone, registration.language) == ("Africa/Cairo", "fr")
    assert registration.sessions == (FIREARMS,)
    assert registration.reminder_offsets_s == (3600, 600)
    assert registration.attendance == "online"


def test_an_arabic_readers_manage_page_is_right_to_left_and_translated(served: Served) -> None:
    """Registered in Arabic, the manage link opens an Arabic page written right to left, with
    the zone picker's regions and cities in Arabic too."""
    _ = i18n.gettext_for("ar")
    assert _("Your calendar") != "Your calendar"  # the catalog has it: the checks below bite
    with phone("ar-EG", "Africa/Cairo") as page:
        page.goto(f"{served.base_url}/events/{CCPCJ}?tz=Africa%2FCairo")
        page.fill("#email", "ar@example.org")
        page.check(f'input[name="sessions"][value="{SMUGGLING}"]')
        page.get_by_role("button", name=_("Get reminders")).click()
        wait_until(lambda: any(served.outbox.glob("*.eml")), what="the confirmation mail")
        [eml] = sorted(served.outbox.glob("*.eml"))
        page.goto(link_in(read_eml(eml), "manage"))
        root = page.locator("html")
        expect(root).to_have_attribute("lang", "ar")
        expect(root).to_have_attribute("dir", "rtl")
        expect(page.get_by_role("button", name=_("Save"))).to_be_visible()
        expect(page.locator("main")).to_contain_text(_("Your calendar"))
        for region in ("أوروبا", _("Pacific Ocean")):  # CLDR's name, and our catalog's
            expect(page.locator(f'#timezone optgroup[label="{region}"]')).to_have_count(1)
        expect(page.locator('#timezone option[value="Africa/Cairo"]')).to_contain_text("القاهرة")
        assert_fits_a_phone(page)
        shot = MANAGE_SCREENSHOT.with_name("manage-page-ar.png")
        page.screenshot(path=str(shot), full_page=True)
