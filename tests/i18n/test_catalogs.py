"""The message catalogs: complete, not fuzzy, consistent with the sources and with each other."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from notifier import i18n
from notifier.records import LANGUAGES, Language

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = i18n.LOCALE_DIR / "messages.pot"
TRANSLATED: list[Language] = [lang for lang in LANGUAGES if lang != i18n.SOURCE_LANGUAGE]


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def _ids(catalog: Catalog) -> set[object]:
    return {message.id for message in catalog if message.id}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_translates_every_message_and_none_is_fuzzy(language: str) -> None:
    """An empty or fuzzy entry shows English in the middle of a Japanese page."""
    catalog = _read(i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po")
    assert _ids(catalog) == _ids(_read(TEMPLATE))
    untranslated = [m.id for m in catalog if m.id and not all(_forms(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert not catalog.fuzzy  # a fuzzy header makes gettext ignore the whole catalog


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    """A translation naming an unknown %(placeholder)s raises KeyError when a mail is sent."""
    catalog = _read(i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po")
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_catalog_is_not_the_english_text(language: str) -> None:
    """Copying the English into a catalog passes the emptiness check; it must not."""
    catalog = _read(i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po")
    # placeholders only ("%(text)s."), and product names, may stay as they are
    same = [
        m.id
        for m in catalog
        if isinstance(m.id, str) and m.string == m.id and any(c.isalpha() for c in _words(m.id))
    ]
    assert same == []


def test_the_template_lists_exactly_the_messages_in_the_sources(tmp_path: Path) -> None:
    """A string marked in a template but missing from messages.pot is never translated."""
    extracted = tmp_path / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
    command += ["--no-location", "--sort-output", "--omit-header", "-o", str(extracted)]
    subprocess.run([*command, "notifier"], cwd=ROOT, check=True, capture_output=True)
    assert _ids(_read(extracted)) == _ids(_read(TEMPLATE))


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_runtime_catalog_translates(language: Language) -> None:
    """The .po compiled into memory is what the service reads: it must translate."""
    gettext = i18n.gettext_for(language)
    assert gettext("Get reminders") != "Get reminders"


def _forms(string: object) -> tuple[str, ...]:
    return tuple(string) if isinstance(string, tuple) else (str(string),)


def _words(text: str) -> str:
    """``text`` without %(placeholders)s."""
    return re.sub(r"%\([a-z_]+\)s", "", text)
