"""Broadcasts: one post per reminder to an organizer's chat room, through Apprise.

Apprise (https://github.com/caronc/apprise) speaks Slack, Teams, Matrix, Telegram, Discord
and about a hundred more services from one URL. Only the event file's ``broadcasts:`` reach
this channel (:mod:`notifier.jobs.broadcast`): participants register email or webhooks only,
since an Apprise URL would dial any host, past the webhook address guard. The organizer who
writes the file is trusted with that; the URLs are theirs.

Off the loop: Apprise's plugins post with ``requests``, a blocking client, and its
``async_notify`` still prepares every call (URL parsing, plugin set-up) on the caller's thread,
so each send runs the whole ``notify`` in a worker thread (``asyncio.to_thread``, as Starlette
runs sync endpoints). ``benchmarks/bench_apprise.py`` measures the loop's longest stall.

What is retried: Apprise answers a bool, not why. A URL Apprise cannot read (unknown scheme,
missing parts) or a ``${NAME}`` the environment lacks is permanent (``failed``): only an edit
fixes it. A notify that returns False is transient: it is most often a connection error, a
timeout, 5xx or 429, and the fan-out retries it with backoff until the session starts. A
refused token (401/403/404) is retried too, and ends ``expired`` at the start with the error
in the log: a wasted retry is cheaper than a room that silently stops getting reminders. No
chat service takes an idempotency key, so a post whose answer was lost may be posted again.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, timedelta
from functools import cache
from types import ModuleType

from notifier.channels.base import ReminderMessage
from notifier.channels.compose import safe_link, zone_for_message
from notifier.errors import PermanentDeliveryError, SettingsError, TransientDeliveryError
from notifier.events.broadcasts import resolve_url
from notifier.records import ChannelName
from notifier.settings import Settings
from notifier.times import format_duration, format_range

# Apprise's own connect/read timeouts (4 s each) end a stuck post; this is the outer bound on
# the thread, and what the fan-out sees as a timeout
DEFAULT_TIMEOUT_S = 30.0
Notify = Callable[[str, str, str], bool]


def compose_broadcast(message: ReminderMessage) -> tuple[str, str]:
    """(title, body) as plain text: the session in the venue's time and in UTC, the join link
    and the room; a room's members live in every zone, so UTC is the common reference."""
    session = message.session
    venue_tz = zone_for_message(session.zone, f"session {session.id}'s zone")
    end = None if session.kind == "deadline" else session.end
    left_min = round((session.start_utc - message.now_utc).total_seconds() / 60)
    verb = "due" if session.kind == "deadline" else "starts"
    status = f"{verb} in {format_duration(timedelta(minutes=left_min))}" if left_min > 0 else "now"
    title = f"{session.title} ({status})"
    lines = [
        f"{message.event_name}",
        f"{format_range(session.start, end, venue_tz)} ({venue_tz.key})",
        f"{format_range(session.start, end, UTC)}",
    ]
    place = ", ".join(p for p in (session.room, session.venue) if p)
    if place:
        lines.append(f"Room: {place}")
    if join_url := safe_link(session.join_url):
        lines.append(f"Join: {join_url}")
    return title, "\n".join(lines)


@cache
def _apprise() -> ModuleType:
    """Apprise, imported by the first broadcast only: it is heavy (about 100 plugins), and the
    command line never needs it. Its PGP helper imports ``imghdr``, which warns on Python
    3.11+ (a deprecated stdlib module, in apprise's code, not ours): imported here with that
    warning silenced, once, so warnings stay errors everywhere else."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise

        with contextlib.suppress(ImportError):  # older apprise releases have no such helper
            importlib.import_module("apprise.utils.pgp")

    return apprise


def notify_blocking(url: str, title: str, body: str) -> bool:
    """One Apprise notification, synchronously (run it in a thread).

    Raises :class:`PermanentDeliveryError` for a URL Apprise cannot read; its text never
    quotes the URL (it holds the resolved secrets).
    """
    client = _apprise().Apprise()
    if not client.add(url):
        scheme = url.split("://", 1)[0]
        raise PermanentDeliveryError(
            f"Apprise cannot use this {scheme}:// URL (unknown service or missing parts); "
            "check it against Apprise's wiki for that service"
        )
    return bool(client.notify(title=title, body=body))


class AppriseChannel:
    """Posts each reminder to one broadcast target; its URL's ``${NAME}``s from ``environ``."""

    name: ChannelName = "apprise"

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        notify: Notify = notify_blocking,
    ) -> None:
        if timeout_s <= 0:
            raise SettingsError("the broadcast timeout must be positive")
        self._environ = os.environ if environ is None else environ
        self._timeout_s, self._notify = timeout_s, notify
        self._closed = False

    async def send(self, message: ReminderMessage) -> str:
        """Post one reminder; the receipt is ``posted`` (Apprise tells nothing more)."""
        if self._closed:
            raise TransientDeliveryError("the broadcast channel is shut down; retry after restart")
        target = message.registration
        where = f"broadcast {target.id.removeprefix('broadcast:')}"  # never the URL: secrets
        try:
            url = resolve_url(target.webhook_url or "", self._environ)
        except KeyError as exc:
            raise PermanentDeliveryError(
                f"{where}: the environment variable {exc.args[0]} is not set; set it where "
                "the service runs"
            ) from None
        title, body = compose_broadcast(message)
        try:
            async with asyncio.timeout(self._timeout_s):
                posted = await asyncio.to_thread(self._notify, url, title, body)
        except TimeoutError as exc:
            raise TransientDeliveryError(
                f"{where}: no answer within {self._timeout_s:g} s"
            ) from exc
        if not posted:
            raise TransientDeliveryError(
                f"{where}: Apprise could not post it (a connection error, a timeout or the "
                "service's refusal; its log says which)"
            )
        return "posted"

    async def aclose(self) -> None:
        """Nothing pooled: each post opens its own connection in its thread."""
        self._closed = True


def make_apprise_channel(settings: Settings, signing_secret: str) -> AppriseChannel:
    """Broadcasts read their ``${NAME}`` secrets from this process's environment."""
    return AppriseChannel()
