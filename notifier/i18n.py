"""Languages: which one a reader gets, the gettext catalogs, and times in the reader's locale.

One place for every page and message: the Jinja2 environments (with ``jinja2.ext.i18n``, one per
language, so ``{% trans %}`` and ``_()`` speak it), the negotiation order (the registration's
choice, the browser's ``Accept-Language``, the event's default, English) and the Babel (CLDR)
formats of dates, times and spans. The catalogs are the ``.po`` files under ``notifier/locale``,
compiled into memory on first use: nothing to build, so an editable install, a wheel and the
Docker image all read the same files the translators edit.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, tzinfo
from functools import cache, lru_cache
from pathlib import Path

import jinja2
from babel import Locale, negotiate_locale
from babel.dates import format_date, format_interval, format_skeleton, format_time
from babel.dates import format_timedelta as _babel_timedelta
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from notifier.records import LANGUAGES, Language
from notifier.times import utc_z

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE: Language = "en"
# CLDR's name where ours is shorter: "zh" is Simplified Chinese, written explicitly
_CLDR = {"zh": "zh_Hans"}
# what <html lang> says: BCP 47, with the script where it matters
_HTML_LANG = {"zh": "zh-Hans"}
# longer headers are refused rather than parsed: no header makes negotiation slow
_MAX_ACCEPT_LANGUAGE = 1024


def supported(code: str | None) -> Language | None:
    """``code`` if it is one of :data:`LANGUAGES` (exactly), else None."""
    return next((lang for lang in LANGUAGES if lang == code), None)


@cache
def locale(language: Language) -> Locale:
    """The Babel locale of ``language``."""
    return Locale.parse(_CLDR.get(language, language))


def text_direction(language: Language) -> str:
    """``rtl`` for Arabic, ``ltr`` otherwise: from CLDR, not a hand-kept list."""
    return "rtl" if locale(language).character_order == "right-to-left" else "ltr"


def html_lang(language: Language) -> str:
    return _HTML_LANG.get(language, language)


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """``language``'s catalog, compiled from its ``.po`` into memory (English is the source)."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=_CLDR.get(language, language), domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_for(language: Language) -> Callable[[str], str]:
    """``_`` for code outside templates: ``gettext_for("fr")("Online")``."""
    return translations(language).gettext


def negotiate(
    *,
    chosen: str | None = None,
    accept_language: str | None = None,
    event_default: str | None = None,
) -> Language:
    """The language to write in: the registration's, the browser's, the event's, English."""
    picked = supported(chosen)
    if picked is not None:
        return picked
    if accept_language and len(accept_language) <= _MAX_ACCEPT_LANGUAGE:
        found = negotiate_locale(_preferred(accept_language), LANGUAGES, sep="-")
        picked = supported(found)
        if picked is not None:
            return picked
    return supported(event_default) or SOURCE_LANGUAGE


def _preferred(header: str) -> list[str]:
    """``fr-CH, fr;q=0.9, en;q=0.8`` as tags, most wanted first; q=0 means "not this"."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag.strip().lower()))
    # negotiate_locale tries the full tag and then its language: zh-CN finds zh, fr-CA fr
    return [tag for _, _, tag in sorted(ranked)]


@cache
def environment(package: str, language: Language) -> jinja2.Environment:
    """The templates of ``package`` in ``language``, with ``{% trans %}`` and ``_()``.

    ``*.html.j2`` (and any other name) is autoescaped; ``*.txt.j2`` (mail text) is not.
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.filters["utc_z"] = utc_z
    install(env, language)
    return env


def install(env: jinja2.Environment, language: Language) -> None:
    """Give ``env`` the catalog of ``language`` and its facts (``language``, ``dir``, ``lang``)."""
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(language=language, dir=text_direction(language), lang=html_lang(language))


def format_day(moment: datetime, language: Language, zone: tzinfo) -> str:
    """The full date: ``Wednesday, December 2, 2026``, ``2026年12月2日水曜日``."""
    return format_date(moment.astimezone(zone), "full", locale=locale(language))


def format_day_short(moment: datetime, language: Language, zone: tzinfo) -> str:
    """Month, day and weekday, short: ``Wed, Dec 2``, ``12月2日(水)``, ``mer. 2 déc.``."""
    return format_skeleton("MMMEd", moment.astimezone(zone), locale=locale(language))


def format_short(moment: datetime, language: Language, zone: tzinfo) -> str:
    """``Wed, Dec 2, 3:30 PM``, ``12月2日(水) 15:30``: the short day and the time."""
    loc = locale(language)
    local = moment.astimezone(zone)
    glue = str(loc.datetime_formats["short"])
    return glue.format(_time(local, loc), format_day_short(local, language, zone))


def format_instant(moment: datetime, language: Language, zone: tzinfo) -> str:
    """``Wednesday, December 2, 2026, 3:30 PM JST (UTC+09:00)`` in the reader's locale."""
    return format_range(moment, None, language, zone)


def format_range(start: datetime, end: datetime | None, language: Language, zone: tzinfo) -> str:
    """A session's time: the full date, the times (one date if the end is on the same day),
    and the zone's abbreviation and UTC offset (the same in every language, as tzdata has it).
    """
    loc = locale(language)
    first = start.astimezone(zone)
    glue = str(loc.datetime_formats["medium"])
    if end is None:
        return (
            f"{glue.format(_time(first, loc), format_day(first, language, zone))} {_label(first)}"
        )
    last = end.astimezone(zone)
    if last.date() == first.date():
        skeleton = "hm" if "h" in loc.time_formats["short"].pattern else "Hm"
        times = format_interval(first, last, skeleton, tzinfo=zone, locale=loc)
        return f"{glue.format(times, format_day(first, language, zone))} {_label(last)}"
    both = [
        f"{glue.format(_time(t, loc), format_day(t, language, zone))} {_label(t)}"
        for t in (first, last)
    ]
    return str(loc.interval_formats.get(None, "{0} – {1}")).format(*both)


def _time(local: datetime, loc: Locale) -> str:
    return format_time(local, "short", tzinfo=local.tzinfo, locale=loc)


def _label(local: datetime) -> str:
    """``JST (UTC+09:00)``, or ``(UTC+04:00)`` alone where tzdata has no letters for it."""
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    text = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    name = local.tzname() or ""
    if not name or name.startswith(("+", "-")) or name in ("UTC", text):
        return f"({text})" if name != "UTC" else "UTC"
    return f"{name} ({text})"


def format_relative(delta: timedelta, language: Language) -> str:
    """``in 2 hours`` / ``5 minutes ago`` (``dans 2 heures``, ``2 時間後``), to the minute.

    One unit (what reminders are: 1 day, 1 hour, 10 minutes before) is CLDR's own relative
    phrase; two (``in 1 hour 30 minutes``) are the catalog's "in %(span)s" around
    :func:`format_span`, since CLDR has no two-unit relative pattern and rounding 90 minutes
    to "in 2 hours" would tell the reader the wrong time.
    """
    return _relative(_minutes(delta), delta >= timedelta(0), language)


@lru_cache(maxsize=4096)  # a fan-out writes one phrase per minute and language, thousands of times
def _relative(minutes: int, ahead: bool, language: Language) -> str:
    """:func:`format_relative` of a delta rounded to ``minutes`` (``ahead``: not negative)."""
    _ = gettext_for(language)
    if minutes == 0:
        return _("in less than a minute") if ahead else _("just now")
    units = _units(abs(minutes))
    if len(units) == 1:
        return _babel_timedelta(
            timedelta(minutes=minutes), add_direction=True, threshold=1.0, locale=locale(language)
        )
    span = format_span(timedelta(minutes=minutes), language)
    return _("in %(span)s") % {"span": span} if minutes > 0 else _("%(span)s ago") % {"span": span}


def format_span(delta: timedelta, language: Language) -> str:
    """``1 hour``, ``1 day 2 hours``, ``9 minutes``: the two largest units, to the minute."""
    minutes = abs(_minutes(delta))
    if minutes == 0:
        _ = gettext_for(language)
        return _("less than a minute")
    loc = locale(language)
    words = [
        _babel_timedelta(timedelta(minutes=n * size), threshold=1.0, locale=loc)
        for n, size in _units(minutes)
    ]
    return " ".join(words)


def _minutes(delta: timedelta) -> int:
    # a reminder sent a few seconds late still says "in 1 hour", not "in 59 minutes"
    return round(delta.total_seconds() / 60)


def _units(minutes: int) -> list[tuple[int, int]]:
    """(count, minutes per unit) of the two largest units: days and hours, or hours and minutes."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    pairs = [(days, 24 * 60), (hours, 60)] if days else [(hours, 60), (mins, 1)]
    return [(n, size) for n, size in pairs if n]


def join_words(items: Iterable[str], language: Language) -> str:
    """``1 day, 1 hour and 10 minutes`` with the locale's own list pattern."""
    return format_list(list(items), locale=locale(language))
