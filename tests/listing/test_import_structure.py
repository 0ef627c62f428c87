"""`notifier import` reads structure: HTML tables, labelled blocks, pipe tables, aligned
columns; and says why about every time it did not make a session (issue #14)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from click.testing import CliRunner

from notifier.cli.importing import import_listing_command
from notifier.events import Event, load_event
from notifier.listing import ImportOptions, ImportResult, import_listing

TODAY = date(2026, 11, 25)

SIDE_EVENTS_HTML = """\
<!DOCTYPE html>
<html><head><title>Side events | CCPCJ 33 | UNODC</title></head>
<body>
<nav class="breadcrumb"><a href="/">Home</a> &gt; <a href="/ccpcj">CCPCJ</a> &gt; Side events</nav>
<div id="main-menu"><ul><li>Sessions</li><li>Documents</li></ul></div>
<h1>Side events at the 33rd session of the CCPCJ</h1>
<p>Vienna, 20&ndash;24 May 2024</p>
<table>
<thead><tr><th>Date</th><th>Time</th><th>Title</th><th>Room</th></tr></thead>
<tbody>
<tr><td rowspan="2">Monday, 20 May</td><td>9:10&ndash;10:00</td>
<td>Cybercrime and children<br>Organized by Brazil</td><td>M7</td></tr>
<tr><td>13:10&ndash;14:00</td><td>Firearms in the Sahel<br>Organized by Niger, UNODC</td>
<td>Online</td></tr>
<tr><td>Tuesday, 21 May</td><td>9:10&ndash;10:00</td>
<td><a href="https://unodc.zoom.us/j/123">Wildlife crime: new tools</a></td>
<td>Boardroom B</td></tr>
<tr><td>Tuesday, 21 May</td><td>TBC</td><td>Corruption in sport</td><td>M3</td></tr>
</tbody></table>
</body></html>
"""

LABELLED_HTML = """\
<html><body>
<h2>Launch of the World Drug Report 2024</h2>
<p><strong>Date:</strong> 26 June 2024<br>
<strong>Time:</strong> 10:00&ndash;11:30 CEST<br>
<strong>Venue:</strong> Boardroom A, VIC</p>
<h2>Youth Forum closing</h2>
<dl><dt>Date:</dt><dd>27 June 2024</dd><dt>Time:</dt><dd>15:00&ndash;16:00</dd>
<dt>Venue:</dt><dd>Online</dd></dl>
</body></html>
"""

PIPE_TABLE = """\
# Workshop programme

| Time | Session | Room |
|---|---|---|
| Friday, 13 September 2024 | | |
| 09:00 – 10:30 | Opening plenary | Hall A |
| 10:30 – 11:00 | | Foyer |
| 11:00 – 12:30 | Parallel tracks | Rooms 1–3 |
| 12:30 | Lunch | |
"""

PROSE = """\
Programme notes

The meeting rooms open at 8:30 a.m. every day, and coffee is served until 10 a.m.

Monday, 14 October 2024
10:00 Opening of the session
"""


def _import(text: str, **options: object) -> ImportResult:
    return import_listing(text, ImportOptions("page", today=TODAY, **options))  # type: ignore[arg-type]


def _event(result: ImportResult) -> Event:
    assert result.yaml_text is not None, result.report_lines("page")
    loaded = load_event(result.yaml_text, "draft.yaml", today=TODAY)
    assert [str(p) for p in loaded.problems] == []
    assert loaded.event is not None
    return loaded.event


def test_html_table_with_rowspan_br_and_header_row_gives_each_row_its_own_cells() -> None:
    """A date cell spanning two rows, titles with <br> and organizer, a room column: the
    rooms stay on their rows and the name is the <h1>, never the breadcrumbs."""
    result = _import(SIDE_EVENTS_HTML)
    event = _event(result)
    assert event.name.startswith("Side events at the 33rd session of the CCPCJ")
    rows = [(s.title, s.organizer, s.room, s.mode, s.start_utc) for s in event.sessions]
    assert rows == [
        (
            "Cybercrime and children",
            "Brazil",
            "M7",
            "hybrid",
            datetime(2024, 5, 20, 7, 10, tzinfo=UTC),
        ),
        (
            "Firearms in the Sahel",
            "Niger, UNODC",
            None,
            "online",
            datetime(2024, 5, 20, 11, 10, tzinfo=UTC),
        ),
        (
            "Wildlife crime: new tools",
            None,
            "Boardroom B",
            "hybrid",
            datetime(2024, 5, 21, 7, 10, tzinfo=UTC),
        ),
    ]
    assert event.sessions[2].join_url == "https://unodc.zoom.us/j/123"


def test_a_table_row_without_a_time_is_reported_and_fails_strict(tmp_path: Path) -> None:
    """The "TBC" row is named on its line; --strict turns it into a failing exit."""
    page = tmp_path / "side-events.html"
    page.write_text(SIDE_EVENTS_HTML, encoding="utf-8")
    runner = CliRunner()
    loose = runner.invoke(import_listing_command, [str(page), "-o", str(tmp_path / "a.yaml")])
    assert loose.exit_code == 0
    assert f'{page}:18: could not place the row "Tuesday, 21 May | TBC' in loose.stderr
    strict = runner.invoke(
        import_listing_command, [str(page), "--strict", "-o", str(tmp_path / "b.yaml")]
    )
    assert strict.exit_code == 1
    assert "1 time(s) or row(s)" in strict.stderr
    assert (tmp_path / "b.yaml").exists()


def test_date_time_venue_blocks_take_their_title_from_the_heading_above() -> None:
    """`Date:`/`Time:`/`Venue:` lines under a heading, in <p><br> or in a <dl>."""
    event = _event(_import(LABELLED_HTML, zone="Europe/Vienna"))
    rows = [(s.title, s.room, s.mode, s.start_utc, s.end_utc) for s in event.sessions]
    assert rows == [
        (
            "Launch of the World Drug Report 2024",
            "Boardroom A, VIC",
            "hybrid",
            datetime(2024, 6, 26, 8, 0, tzinfo=UTC),
            datetime(2024, 6, 26, 9, 30, tzinfo=UTC),
        ),
        (
            "Youth Forum closing",
            None,
            "online",
            datetime(2024, 6, 27, 13, 0, tzinfo=UTC),
            datetime(2024, 6, 27, 14, 0, tzinfo=UTC),
        ),
    ]


def test_a_pipe_table_row_without_a_title_is_reported_not_given_a_neighbours() -> None:
    """The 10:30 row has a room but no title: it is reported; no row lends it a title."""
    result = _import(PIPE_TABLE, zone="Europe/Berlin")
    event = _event(result)
    assert [(s.title, s.room) for s in event.sessions] == [
        ("Opening plenary", "Hall A"),
        ("Parallel tracks", "Rooms 1–3"),
        ("Lunch", None),
    ]
    [missing] = [line for line in result.report_lines("page") if "could not place" in line]
    assert missing.startswith('page:7: could not place the session at "10:30 – 11:00"')


def test_columns_aligned_with_spaces_are_columns() -> None:
    """A committee's programme of work copied out of a PDF keeps its room column."""
    text = (
        "Monday, 7 October 2024\n"
        "10 a.m.–1 p.m.   General debate   Conference Room 4\n"
        "3–6 p.m.    General debate (continued)    Online\n"
    )
    event = _event(_import(text, zone="America/New_York"))
    assert [(s.title, s.room, s.mode) for s in event.sessions] == [
        ("General debate", "Conference Room 4", "hybrid"),
        ("General debate (continued)", None, "online"),
    ]


def test_a_time_inside_a_sentence_is_reported_with_its_reason() -> None:
    """Nothing silent: the opening hours in a sentence are named, and not imported."""
    result = _import(PROSE, zone="Europe/Vienna")
    assert [s.title for s in _event(result).sessions] == ["Opening of the session"]
    [why] = [line for line in result.report_lines("page") if line.startswith("page:3:")]
    assert '"8:30 a.m."' in why
    assert "inside running text" in why


def test_a_page_without_any_time_says_so(tmp_path: Path) -> None:
    """The error names the cause instead of pointing at report lines that do not exist."""
    page = tmp_path / "news.txt"
    page.write_text("News\n\nRome, 2 December 2016. The meeting will take place in Rome.\n")
    result = CliRunner().invoke(import_listing_command, [str(page)])
    assert result.exit_code == 1
    assert "news.txt:3: note:" in result.stderr
    assert "no session whose time resolves" in result.stderr


EVENT_BLOCKS_HTML = """\
<html><body>
<h2>Side events</h2>
<div class="event"><h3>Women in policing</h3>
<p>Monday, 11 March 2024, 10:00&ndash;11:15 EDT</p>
<p>Organized by: Canada, UN Women</p>
<p>Conference Room 6</p>
<p>This event will discuss the role of women in policing across the world.</p></div>
<div class="event"><h3>Girls in STEM</h3>
<p><strong>Date:</strong> Tuesday, 12 March 2024</p>
<p><strong>Time:</strong> 13:15&ndash;14:30</p>
<p><strong>Organizer:</strong> Japan</p>
<p><strong>Venue:</strong> Online</p></div>
</body></html>
"""

FLATTENED_TABLE = """\
Sunday, May 9th |
|
4:00 pm - |
6:00 pm |
Registration |
Monday, May 10th |
|
12:00 pm - |
1:30 pm |
Lunch |
"""


def test_each_event_block_takes_its_heading_not_its_organizer_or_room() -> None:
    """`<h3>` above a block is its title; the room line and `Organized by:` are not."""
    event = _event(_import(EVENT_BLOCKS_HTML, zone="America/New_York"))
    rows = [(s.title, s.organizer, s.room, s.mode) for s in event.sessions]
    assert rows == [
        ("Women in policing", "Canada, UN Women", "Conference Room 6", "hybrid"),
        ("Girls in STEM", "Japan", None, "online"),
    ]


def test_a_range_a_flattened_table_wrote_over_two_lines_is_one_range() -> None:
    """ "4:00 pm - |" then "6:00 pm |": one session from 4 to 6 p.m., titled by the next cell."""
    event = _event(_import(FLATTENED_TABLE, zone="America/New_York", year=2004))
    assert [(s.title, s.when, s.start_utc, s.end_utc) for s in event.sessions] == [
        (
            "Registration",
            "4:00 pm - 6:00 pm",
            datetime(2004, 5, 9, 20, 0, tzinfo=UTC),
            datetime(2004, 5, 9, 22, 0, tzinfo=UTC),
        ),
        (
            "Lunch",
            "12:00 pm - 1:30 pm",
            datetime(2004, 5, 10, 16, 0, tzinfo=UTC),
            datetime(2004, 5, 10, 17, 30, tzinfo=UTC),
        ),
    ]


def test_a_title_with_its_room_and_time_in_parentheses() -> None:
    """ "▶ 1st plenary meeting (Plenary Hall, 10 a.m. – 1 p.m.)", as the BAPA+40 timetable."""
    text = (
        "Wednesday, 20 March 2019\n\n"
        "▶ 1st plenary meeting  (Plenary Hall,  10 a.m. – 1 p.m.)\n\n"
        "1. Opening of the Conference\n\n"
        "▶ 2nd plenary meeting  (Plenary Hall,  3 p.m. – 6 p.m.)\n"
    )
    event = _event(_import(text, zone="America/Argentina/Buenos_Aires"))
    assert [(s.title, s.room, s.start_utc) for s in event.sessions] == [
        ("1st plenary meeting", "Plenary Hall", datetime(2019, 3, 20, 13, 0, tzinfo=UTC)),
        ("2nd plenary meeting", "Plenary Hall", datetime(2019, 3, 20, 18, 0, tzinfo=UTC)),
    ]


def test_a_day_heading_that_does_not_read_stops_the_day_above_from_carrying_on() -> None:
    """ "Friday 32d October" is no date: its rows are reported, never put on Wednesday."""
    text = "Wednesday 21st October\n9:00 Opening\nFriday 32d October\n10:00 Closing\n"
    result = _import(text, zone="Europe/Lisbon", year=2020)
    assert [s.title for s in _event(result).sessions] == ["Opening"]
    [closing] = [line for line in result.report_lines("page") if "could not place" in line]
    assert closing.startswith('page:4: could not place "Closing"')
    assert '"Friday 32d October" (line 3)' in closing


def test_old_style_ordinals_and_an_at_sign_room() -> None:
    """ "Friday 23d October" is the 23rd; "Reception @ Cromdale Hall" is in Cromdale Hall."""
    text = "Friday 23d October\n\n18:00 – 19:30 : Welcome Reception @ Cromdale Hall, EICC\n"
    [session] = _event(_import(text, zone="Europe/London", year=2020)).sessions
    assert (session.title, session.room) == ("Welcome Reception", "Cromdale Hall, EICC")
    assert session.start_utc == datetime(2020, 10, 23, 17, 0, tzinfo=UTC)


def test_a_time_and_its_title_in_one_cell() -> None:
    """ "10:00–11:00<br>Opening remarks": the cell's text beside the time is the title."""
    page = (
        "<html><body><h1>Workshop</h1><table>\n"
        "<tr><th>Monday, 3 June 2024</th><th>Room</th></tr>\n"
        "<tr><td>10:00&ndash;11:00<br>Opening remarks</td><td>Hall A</td></tr>\n"
        "<tr><td>11:00&ndash;12:30<br>Panel: data<br>Organized by: OECD</td><td>Online</td></tr>\n"
        "</table></body></html>\n"
    )
    event = _event(_import(page, zone="Europe/Paris"))
    assert [(s.title, s.organizer, s.room, s.mode) for s in event.sessions] == [
        ("Opening remarks", None, "Hall A", "hybrid"),
        ("Panel: data", "OECD", None, "online"),
    ]
