"""`notifier validate` over real broken files: every problem at once, in the organizer's words.

Each file under ``broken/`` holds one kind of mistake (or many of one family); the test pins the
whole report, so a message that slips back to pydantic's or PyYAML's text, a problem hidden by
another, or a position that drifts fails here.
"""

# ruff: noqa: E501  (each report line is pinned whole, as the organizer sees it)
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from notifier.cli import main

HERE = Path(__file__).parent

REPORTS = [
    pytest.param(
        "misspelt-keys",
        [
            'broken/misspelt-keys.yaml:4:1: error: unknown key "zne"; did you mean "zone"? [unknown-key]',
            'broken/misspelt-keys.yaml:4:6: error: "Europe/Viena" is not an IANA time zone; did you mean Europe/Vienna or Europe/Riga or Europe/Vilnius? [unknown-zone]',
            'broken/misspelt-keys.yaml:6:1: error: unknown key "sesions"; did you mean "sessions"? [unknown-key]',
            'broken/misspelt-keys.yaml:10:5: error: unknown key "romm"; did you mean "room"? [unknown-key]',
            'broken/misspelt-keys.yaml:11:15: error: join_url: "meet.example.org/opening" is not a web address; write the full link starting with https:// [invalid-value]',
            "broken/misspelt-keys.yaml: 5 error(s), 0 warning(s)",
        ],
        id="misspelt-keys-hide-nothing",
    ),
    pytest.param(
        "wrong-values",
        [
            'broken/wrong-values.yaml:1:5: error: id: "Side_Events" must be lowercase letters, digits and hyphens, like ccpcj-32 [invalid-id]',
            "broken/wrong-values.yaml:2:7: error: name is empty; write it out or remove the key [invalid-value]",
            'broken/wrong-values.yaml:4:7: error: year: "twenty" is not a whole number; write digits only, such as 2027 [invalid-value]',
            "broken/wrong-values.yaml:5:8: error: dates: end is before start; the first day comes first [invalid-value]",
            'broken/wrong-values.yaml:5:45: error: unknown key "ned"; did you mean "end"? [unknown-key]',
            'broken/wrong-values.yaml:6:12: error: channels: "emial" is not one of the choices; write email or webhook; did you mean "email"? [invalid-value]',
            'broken/wrong-values.yaml:11:11: error: mode: "remote" is not one of the choices; write online, onsite or hybrid [invalid-value]',
            'broken/wrong-values.yaml:12:11: error: kind: "deadlin" is not one of the choices; write session or deadline; did you mean "deadline"? [invalid-value]',
            'broken/wrong-values.yaml:13:16: error: reminders: "1h" should be a list; write [a, b] or one "- item" per line under it [invalid-value]',
            'broken/wrong-values.yaml:14:16: error: cancelled: "maybe" is not yes or no; write true or false [invalid-value]',
            'broken/wrong-values.yaml:15:15: error: join_url: "meet.example.org/opening" is not a web address; write the full link starting with https:// [invalid-value]',
            'broken/wrong-values.yaml:16:5: error: missing key "when"; add it, such as when: Tuesday 23 May 09:10-10:00 CEST [missing-key]',
            "broken/wrong-values.yaml:17:12: error: title: write text here, not this list; put it in quotes if it is text [invalid-value]",
            'broken/wrong-values.yaml:18:5: error: session 3: "just a line" should be "key: value" lines indented under it [invalid-value]',
            "broken/wrong-values.yaml: 14 error(s), 0 warning(s)",
        ],
        id="every-wrong-value-in-organizer-words",
    ),
    pytest.param(
        "unclosed-quote",
        [
            "broken/unclosed-quote.yaml:2:7: error: not valid YAML: the quoted text that starts here is never closed; add the closing quote (reading stopped at broken/unclosed-quote.yaml:8:1: found unexpected end of stream) [yaml-syntax]",
            "broken/unclosed-quote.yaml: 1 error(s), 0 warning(s)",
        ],
        id="unclosed-quote-at-the-open-quote",
    ),
    pytest.param(
        "unclosed-list",
        [
            "broken/unclosed-list.yaml:4:12: error: not valid YAML: the [ list that starts here is not closed or misses a comma; separate the items with commas and close it with ] (reading stopped at broken/unclosed-list.yaml:5:9: did not find expected ',' or ']') [yaml-syntax]",
            "broken/unclosed-list.yaml: 1 error(s), 0 warning(s)",
        ],
        id="unclosed-list-at-the-open-bracket",
    ),
    pytest.param(
        "colon-in-title",
        [
            'broken/colon-in-title.yaml:6:19: error: not valid YAML: a second ": " on one line; put the value in quotes (title: "Keynote: the future") or start the nested keys on a new, indented line (mapping values are not allowed in this context) [yaml-syntax]',
            "broken/colon-in-title.yaml: 1 error(s), 0 warning(s)",
        ],
        id="colon-in-a-plain-value",
    ),
    pytest.param(
        "tab-indent",
        [
            "broken/tab-indent.yaml:5:1: error: not valid YAML: a tab or a character no YAML value may start with; indent with spaces, and put a value that starts with @ or ` in quotes (found character that cannot start any token) [yaml-syntax]",
            "broken/tab-indent.yaml: 1 error(s), 0 warning(s)",
        ],
        id="tab-indentation",
    ),
]


@pytest.mark.parametrize(("name", "expected"), REPORTS)
def test_validate_reports_every_problem_of_a_broken_file(
    name: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One run shows the whole list, each at file:line:column, and the exit status is 1."""
    monkeypatch.chdir(HERE)  # the report names the file as given: broken/NAME.yaml
    result = CliRunner().invoke(main, ["validate", f"broken/{name}.yaml"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.output.splitlines() == expected


def test_no_report_line_carries_pydantic_or_pyyaml_wording(monkeypatch: pytest.MonkeyPatch) -> None:
    """Organizers get what to write, not "Input should be a valid URL, relative URL…"."""
    monkeypatch.chdir(HERE)
    result = CliRunner().invoke(main, ["validate", "broken"], catch_exceptions=False)
    for raw in (
        "Input should",
        "Value error",
        "validation error",
        "while scanning",
        "while parsing",
    ):
        assert raw not in result.output
