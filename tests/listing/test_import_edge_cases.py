"""`notifier import` on listings that go wrong, or come as HTML or on stdin."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from click.testing import CliRunner

from notifier.cli.importing import import_listing_command
from notifier.events import Event, load_event
from notifier.listing import ImportOptions, ImportResult, import_listing

TODAY = date(2026, 11, 25)

PROGRAMME = """\
Vienna, 14–18 October 2024

MONDAY, 14 OCTOBER

Plenary Hall, M-Building

10 a.m.–1 p.m.\tItem 1 (a). Opening of the session
1–1.50 p.m.\tGUARDIANS OF THE EARTH Organized by United Arab Emirates\tCR3
25–26.90 p.m.\tA ROW WITH A BROKEN TIME Organized by Nobody\tCR7
2–2.50 p.m.\tCURRENT TOPICS IN TOC RESEARCH Organized by ISA\tOnline
2.10 p.m.\tOPENING OF THE EXHIBITION Organized by Italy\tM0E

MUNDAY, 15 OCTOBER

9–9:50 a.m.\tREGIONAL APPROACHES IN THE PACIFIC Organized by New Zealand\tOnline

WEDNESDAY, 16 OCTOBER

9–9:50 a.m.\tCONTROL OF SMALL ARMS Organized by Cadijeune\tOnline
"""

PROGRAMME_HTML = """\
<html><body>
<h1>Vienna, 14&ndash;18 October 2024</h1>
<p><strong>MONDAY, 14 OCTOBER</strong></p>
<p>Plenary Hall, M-Building</p>
<p>10 a.m.&ndash;1 p.m.\tItem 1 (a). Opening of the session</p>
<p>1&ndash;1.50 p.m.\t<p>GUARDIANS OF THE EARTH</p> <p>Organized by United Arab Emirates</p>\tCR3
<br>
2&ndash;2.50 p.m.\tCURRENT TOPICS IN TOC RESEARCH Organized by ISA\t<p>Online</p><br>
2.10 p.m.\tOPENING OF THE EXHIBITION Organized by Italy\tM0E</p>
<table>
<tr><td colspan="2"><p>WEDNESDAY, 16 OCTOBER</p></td></tr>
<tr><td>9&ndash;9:50 a.m.</td><td>CONTROL OF SMALL ARMS <p>Organized by Cadijeune</p></td>
<td>Online</td></tr>
</table>
</body></html>
"""

PARAGRAPHS = """\
# Our side events

**Tusday 23 May
09:10- 10:00 CEST**

[Click here to join](https://zoom.us/j/123456)

A session with a misspelt weekday

It will not be placed, and the report says where.

**Tuesday 23 May
13:00-13:50 CEST**

[Click here to join](https://zoom.us/j/987654)

Illicit firearms trafficking and its nuances in Latin America

Through case studies from research in Latin America, this side event will identify trends.
"""


def _import(text: str, *, year: int | None = None, zone: str | None = None) -> ImportResult:
    options = ImportOptions(source="listing.txt", zone=zone, year=year, today=TODAY)
    return import_listing(text, options)


def _event(result: ImportResult) -> Event:
    assert result.yaml_text is not None, result.report_lines("listing.txt")
    loaded = load_event(result.yaml_text, "draft.yaml", today=TODAY)
    assert loaded.event is not None, [str(p) for p in loaded.problems]
    return loaded.event


def _rows(event: Event) -> list[tuple[str, str, str | None, str | None, str | None, object]]:
    return [(s.title, s.when, s.room, s.mode, s.organizer, s.start_utc) for s in event.sessions]


def test_a_broken_row_time_is_reported_on_its_line_and_the_rest_imported() -> None:
    """One typo in a 70-row programme must not cost the other 69 sessions."""
    result = _import(PROGRAMME)
    lines = result.report_lines("listing.txt")
    [broken] = [line for line in lines if line.startswith("listing.txt:9:")]
    assert "could not place" in broken
    assert '"25–26.90 p.m."' in broken
    assert "[invalid-time]" in broken
    titles = [s.title for s in _event(result).sessions]
    assert "A ROW WITH A BROKEN TIME" not in titles
    assert "GUARDIANS OF THE EARTH" in titles
    assert "OPENING OF THE EXHIBITION" in titles


def test_rows_under_an_unreadable_day_heading_are_each_reported_with_their_line() -> None:
    """The heading "MUNDAY" gives no date; its row is named, and the next day still imports."""
    result = _import(PROGRAMME)
    lines = result.report_lines("listing.txt")
    [row] = [line for line in lines if line.startswith("listing.txt:15:")]
    assert "could not place" in row
    assert '"MUNDAY, 15 OCTOBER" (line 13)' in row
    assert "[unrecognised]" in row
    event = _event(result)
    assert len(event.sessions) == 5
    wednesday = next(s for s in event.sessions if s.title == "CONTROL OF SMALL ARMS")
    assert wednesday.start_utc == datetime(2024, 10, 16, 7, 0, tzinfo=UTC)


def test_a_paragraph_block_with_a_misspelt_weekday_is_reported_and_skipped() -> None:
    """A time line that does not parse is never taken for a title."""
    result = _import(PARAGRAPHS, year=2023, zone="Europe/Vienna")
    lines = result.report_lines("listing.txt")
    [bad] = [line for line in lines if "could not place" in line]
    assert bad.startswith("listing.txt:3: could not place")
    assert '"Tusday' in bad
    assert "[unrecognised]" in bad
    [session] = _event(result).sessions
    assert session.title == "Illicit firearms trafficking and its nuances in Latin America"
    assert session.start_utc == datetime(2023, 5, 23, 11, 0, tzinfo=UTC)
    assert session.join_url == "https://zoom.us/j/987654"


def test_html_rows_in_p_br_and_table_cells_give_the_same_sessions_as_text() -> None:
    """Programmes are published as web pages; tags must not change what is imported."""
    text_rows = [
        row
        for row in _rows(_event(_import(PROGRAMME)))
        if row[0]
        in {
            "Item 1 (a). Opening of the session",
            "GUARDIANS OF THE EARTH",
            "CURRENT TOPICS IN TOC RESEARCH",
            "OPENING OF THE EXHIBITION",
            "CONTROL OF SMALL ARMS",
        }
    ]
    html = _import(PROGRAMME_HTML)
    assert not [line for line in html.report_lines("page.html") if "could not place" in line]
    assert _rows(_event(html)) == text_rows
    assert len(text_rows) == 5


def test_html_report_lines_point_at_the_source_lines() -> None:
    """Line numbers are the page's own, so an organizer can find the row in the HTML."""
    broken = PROGRAMME_HTML.replace("9&ndash;9:50 a.m.", "9&ndash;9:90 a.m.")
    lines = _import(broken).report_lines("page.html")
    assert [line[: len("page.html:12: could not place")] for line in lines] == [
        "page.html:12: could not place"
    ]


def test_an_html_join_link_is_kept_and_a_hash_link_is_reported() -> None:
    """Join links go in the session; a "#" placeholder is not a link anyone can open."""
    page = (
        "<p><strong>Tuesday 23 May<br>\n09:10- 10:00 CEST</strong></p>\n"
        '<p><a href="https://meet.example.org/abc">Click here to join</a></p>\n'
        "<p>First title</p>\n"
        "<p><strong>Tuesday 23 May<br>13:00-13:50 CEST</strong></p>\n"
        '<p><a href="#">Click here to join</a></p><p>Second title</p>\n'
    )
    result = _import(page, year=2023, zone="Europe/Vienna")
    first, second = _event(result).sessions
    assert first.join_url == "https://meet.example.org/abc"
    assert second.join_url is None
    assert any(
        line.startswith("page.html:6: note:") and '"#"' in line
        for line in result.report_lines("page.html")
    )


def test_strings_yaml_1_1_could_misread_are_quoted() -> None:
    """9:10 would be 550 and NO false to a YAML 1.1 reader; the draft means what it says."""
    listing = "FRIDAY, 18 OCTOBER 2024\n\n9:10\tNO\tNO\n10:00\tON\tYES\n"
    result = _import(listing, zone="Europe/Vienna")
    assert result.yaml_text is not None
    data = yaml.safe_load(result.yaml_text)
    first = data["sessions"][0]
    assert (first["when"], first["title"], first["room"]) == ("9:10", "NO", "NO")
    assert data["dates"] == {"start": "2024-10-18", "end": "2024-10-18"}
    assert [s["id"] for s in data["sessions"]] == ["no", "session-2"]
    assert _event(result).sessions[0].start_utc == datetime(2024, 10, 18, 7, 10, tzinfo=UTC)


def test_same_titles_get_distinct_ids() -> None:
    """Ids are unique slugs even when two rows share a title."""
    listing = "MONDAY, 14 OCTOBER 2024\n\n1 p.m.\tBRIEFING\tM2\n2 p.m.\tBRIEFING\tM3\n"
    event = _event(_import(listing, zone="Europe/Vienna"))
    assert [s.id for s in event.sessions] == ["briefing", "briefing-2"]


def test_dash_reads_the_listing_from_stdin() -> None:
    """`notifier import -` fits a pipe: YAML on stdout, the report on stderr."""
    result = CliRunner().invoke(
        import_listing_command,
        ["-", "--zone", "Europe/Vienna", "--event-id", "crimecop12", "--name", "CrimeCOP12"],
        input=PROGRAMME,
    )
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.stdout)
    assert (data["id"], data["name"], data["zone"]) == ("crimecop12", "CrimeCOP12", "Europe/Vienna")
    assert data["sessions"][0]["when"] == "10 a.m.–1 p.m."
    assert result.stdout.startswith("# Draft imported by `notifier import` from <stdin>")
    assert "<stdin>:9: could not place" in result.stderr
    assert "5 session(s) imported from <stdin>" in result.stderr


def test_nothing_to_import_exits_one_and_writes_nothing(tmp_path: Path) -> None:
    """A file with no session block is an error, not an empty config."""
    listing = tmp_path / "about.txt"
    listing.write_text("About us\n\nWe organise events.\n", encoding="utf-8")
    out = tmp_path / "out.yaml"
    result = CliRunner().invoke(import_listing_command, [str(listing), "-o", str(out)])
    assert result.exit_code == 1
    assert "nothing could be imported" in result.stderr
    assert not out.exists()


def test_unknown_zone_and_bad_event_id_are_usage_errors(tmp_path: Path) -> None:
    """Options are checked before the listing is read, with the time engine's suggestion."""
    listing = tmp_path / "l.txt"
    listing.write_text(PROGRAMME, encoding="utf-8")
    runner = CliRunner()
    zone = runner.invoke(import_listing_command, [str(listing), "--zone", "Europe/Viena"])
    assert zone.exit_code == 2
    assert "Europe/Vienna" in zone.output
    bad_id = runner.invoke(import_listing_command, [str(listing), "--event-id", "Crime COP"])
    assert bad_id.exit_code == 2
    assert "lowercase" in bad_id.output
