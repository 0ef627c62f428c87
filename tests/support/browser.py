"""A real headless Chromium for the page tests: Debian's, driven by Playwright.

Playwright downloads no browser here (``executable_path`` points at ``/usr/bin/chromium``).
:func:`chromium` launches one and closes it on the way out, pass or fail; :func:`phone_page` opens
a page in a fresh context (its own cookies, locale and clock zone) at a phone's width, as a
participant on the move reads the event page and the mails' links.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_WIDTH_PX = 375
PHONE_HEIGHT_PX = 800
DEFAULT_TIMEOUT_MS = 15_000  # one action or expectation; generous for a loaded 2-core machine


@contextmanager
def chromium() -> Iterator[Browser]:
    """One browser process for the block; closed (and its children with it) at the end."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def phone_page(
    browser: Browser, *, locale: str, timezone_id: str, timeout_ms: float = DEFAULT_TIMEOUT_MS
) -> Page:
    """A page in a new context: the browser says ``locale`` (Accept-Language, ``Intl``) and
    its clock runs in ``timezone_id``, on a phone-wide screen."""
    context = browser.new_context(
        timezone_id=timezone_id,
        viewport={"width": PHONE_WIDTH_PX, "height": PHONE_HEIGHT_PX},
        locale=locale,
    )
    context.set_default_timeout(timeout_ms)
    return context.new_page()


@contextmanager
def phone(locale: str, timezone_id: str) -> Iterator[Page]:
    """:func:`chromium` with one :func:`phone_page` in it: a test with one visitor."""
    with chromium() as browser:
        yield phone_page(browser, locale=locale, timezone_id=timezone_id)


def assert_fits_a_phone(page: Page) -> None:
    """Nothing on the page makes a phone scroll sideways."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH_PX, f"{page.url} scrolls sideways: {scroll_width}px wide"
