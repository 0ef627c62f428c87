"""`notifier import` on the seed listings: every session, at instants worked out by hand.

Expected instants are literals: the listing's wall time minus the zone's offset on that date,
done on paper (CEST = UTC+2 in May 2023 and in October 2024, before the 27 October change;
JST = UTC+9), never with zoneinfo. Counts were made by reading each seed file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from notifier.cli import main
from notifier.cli.importing import import_listing_command
from notifier.configfiles import load_config_files
from notifier.events import Event, Session, load_event
from notifier.jobs import plan_reminders
from notifier.listing import ImportOptions, ImportResult, import_listing

ROOT = Path(__file__).resolve().parents[2]
# copies of ../shared/seeds/ (the listings the product was born from), so a bare clone tests
SEEDS = Path(__file__).resolve().parent / "seeds"
EXAMPLES = ROOT / "config" / "events"
TODAY = date(2026, 11, 25)
CCPCJ = "000_082a8cac64714302.txt"
CRIMECOP = "002_5cb52ae7af251058.txt"
KYOTO = "003_52fabb967c45a8f8.txt"


def _import(seed: str, *, year: int | None = None, zone: str | None = None) -> ImportResult:
    path = SEEDS / seed
    options = ImportOptions(source=str(path), zone=zone, year=year, today=TODAY)
    return import_listing(path.read_text(encoding="utf-8"), options)


def _event(result: ImportResult) -> Event:
    assert result.yaml_text is not None, result.report_lines("seed")
    loaded = load_event(result.yaml_text, "draft.yaml", today=TODAY)
    assert [str(p) for p in loaded.problems] == []
    assert loaded.event is not None
    return loaded.event


def _example(event_id: str) -> Event:
    loaded = load_event((EXAMPLES / f"{event_id}.yaml").read_text("utf-8"), event_id, today=TODAY)
    assert loaded.event is not None
    return loaded.event


def _by_title(event: Event, title: str) -> Session:
    matches = [s for s in event.sessions if s.title == title]
    assert len(matches) == 1, [s.title for s in event.sessions]
    return matches[0]


@pytest.fixture(scope="module")
def ccpcj() -> Event:
    return _event(_import(CCPCJ, year=2023, zone="Europe/Vienna"))


@pytest.fixture(scope="module")
def crimecop() -> Event:
    return _event(_import(CRIMECOP, zone="Europe/Vienna"))


@pytest.fixture(scope="module")
def kyoto() -> Event:
    return _event(_import(KYOTO))


def test_ccpcj_page_gives_its_seven_side_events(ccpcj: Event) -> None:
    """Six bold "Weekday D May / HH:MM-HH:MM CEST" blocks of GI-TOC events, plus one under
    "GI-TOC will also participate in the following event:" (Tuesday 23 May 14:10): 7."""
    assert len(ccpcj.sessions) == 7


@pytest.mark.parametrize(
    ("title", "start_utc", "end_utc"),
    [
        pytest.param(
            "The dynamics of human smuggling and trafficking on routes to the Central "
            "Mediterranean",
            datetime(2023, 5, 23, 7, 10, tzinfo=UTC),
            datetime(2023, 5, 23, 8, 0, tzinfo=UTC),
            id="tue-0910-cest",
        ),
        pytest.param(
            "Illegal trading into and through Africa",
            datetime(2023, 5, 26, 6, 0, tzinfo=UTC),
            datetime(2023, 5, 26, 6, 50, tzinfo=UTC),
            id="fri-0800-cest",
        ),
        pytest.param(
            "2003–2023: 20 years of implementation of the Palermo Convention",
            datetime(2023, 5, 23, 12, 10, tzinfo=UTC),
            datetime(2023, 5, 23, 13, 0, tzinfo=UTC),
            id="also-participates-1410-cest",
        ),
    ],
)
def test_ccpcj_sessions_have_the_listed_title_and_utc_instants(
    ccpcj: Event, title: str, start_utc: datetime, end_utc: datetime
) -> None:
    """The title paragraph after the time line, at the bold time minus two hours."""
    session = _by_title(ccpcj, title)
    assert (session.start_utc, session.end_utc) == (start_utc, end_utc)
    assert session.room is None
    assert session.mode == "hybrid"
    assert session.join_url is None  # every "Click here to join" link in the seed is "#"


def test_ccpcj_logo_lines_become_the_organizer_and_the_description_is_kept(ccpcj: Event) -> None:
    """Organizer lines sit between the link and the title; prose after the title describes."""
    first = ccpcj.sessions[0]
    assert first.organizer == "Government of the Netherlands, GLOBAL INITIATIVE"
    assert first.description is not None
    assert first.description.startswith("The side event will present the latest research")


def test_ccpcj_import_agrees_with_the_hand_made_example(ccpcj: Event) -> None:
    """The example config was made by hand from the same seed: same titles, same instants."""
    example = _example("ccpcj-32-gitoc")
    mine = {(s.title, s.start_utc, s.end_utc) for s in ccpcj.sessions}
    assert mine == {(s.title, s.start_utc, s.end_utc) for s in example.sessions}


def test_ccpcj_without_year_or_zone_says_what_it_guessed() -> None:
    """The page names no year and no city: the guesses are reported, never silent."""
    result = _import(CCPCJ)
    lines = result.report_lines("ccpcj.txt")
    assert any(line.startswith("ccpcj.txt:5: note:") and "2028" in line for line in lines)
    assert any("using Europe/Brussels" in line and "--zone" in line for line in lines)
    assert sum("join_url left out" in line for line in lines) == 7
    assert not any("could not place" in line for line in lines)


def test_crimecop_programme_gives_every_side_event_and_plenary_block(crimecop: Event) -> None:
    """Counted in the seed: 10 plenary blocks (10 a.m.–1 p.m. and 3–6 p.m. on each of the five
    days, under "Plenary Hall, M-Building") + 63 side-event rows (Mon 14; Tue 12 + 3 after
    "(CONTINUED)"; Wed 9 + 6; Thu 7 + 3; Fri 9) = 73."""
    assert len(crimecop.sessions) == 73
    plenary = [s for s in crimecop.sessions if s.room == "Plenary Hall, M-Building"]
    assert len(plenary) == 10
    assert len({s.id for s in crimecop.sessions}) == 73


@pytest.mark.parametrize(
    ("title_start", "start_utc", "end_utc", "room", "mode"),
    [
        pytest.param(
            "Item 1 (a). Opening of the session",
            datetime(2024, 10, 14, 8, 0, tzinfo=UTC),
            datetime(2024, 10, 14, 11, 0, tzinfo=UTC),
            "Plenary Hall, M-Building",
            "hybrid",
            id="plenary-mon-10am-1pm",
        ),
        pytest.param(
            "MINISTERIAL EVENT: INTERNATIONAL DAY",
            datetime(2024, 10, 14, 11, 15, tzinfo=UTC),
            datetime(2024, 10, 14, 12, 10, tzinfo=UTC),
            "Plenary Room, M-Building",
            "hybrid",
            id="ministerial-1.15-2.10pm",
        ),
        pytest.param(
            "REGIONAL APPROACHES TO COMBATING TRANSNATIONAL ORGANIZED CRIME IN THE PACIFIC",
            datetime(2024, 10, 15, 7, 0, tzinfo=UTC),
            datetime(2024, 10, 15, 7, 50, tzinfo=UTC),
            None,
            "online",
            id="online-tue-9-9.50am",
        ),
        pytest.param(
            "DISRUPTING ORGANIZED CRIME BY CUTTING FINANCIAL TIES",
            datetime(2024, 10, 16, 12, 0, tzinfo=UTC),
            datetime(2024, 10, 16, 12, 50, tzinfo=UTC),
            None,
            "online",
            id="p-wrapped-wed-continued",
        ),
        pytest.param(
            "Item 8. Other matters",
            datetime(2024, 10, 18, 13, 0, tzinfo=UTC),
            datetime(2024, 10, 18, 16, 0, tzinfo=UTC),
            "Plenary Hall, M-Building",
            "hybrid",
            id="plenary-fri-3-6pm",
        ),
        pytest.param(
            "TOWARDS AN EFFECTIVE PUBLIC-PRIVATE PARTNERSHIP",
            datetime(2024, 10, 18, 12, 0, tzinfo=UTC),
            datetime(2024, 10, 18, 12, 50, tzinfo=UTC),
            "M6",
            "hybrid",
            id="last-row-fri-m6",
        ),
    ],
)
def test_crimecop_rows_have_the_listed_title_utc_instants_and_room(
    crimecop: Event,
    title_start: str,
    start_utc: datetime,
    end_utc: datetime,
    room: str | None,
    mode: str,
) -> None:
    """Venue-local times under the day heading, in CEST (UTC+2); Online rows have no room."""
    [session] = [s for s in crimecop.sessions if s.title.startswith(title_start)]
    assert (session.start_utc, session.end_utc) == (start_utc, end_utc)
    assert (session.room, session.mode) == (room, mode)


def test_crimecop_keeps_titles_as_published_and_meeting_ids_as_notes(crimecop: Event) -> None:
    """Capitals are kept (acronyms such as UNODC survive); a passcode is what people need."""
    row = _by_title(
        crimecop, "COUNTERING ILLICIT FINANCIAL FLOWS IN THE EXTRACTIVE INDUSTRY IN AFRICA"
    )
    assert row.description == "Meeting ID: 813 5443 5881 Passcode: 709166"
    assert row.mode == "online"
    assert row.organizer is not None
    assert row.organizer.startswith("African Center for Governance")
    exhibition = next(s for s in crimecop.sessions if s.when == "2.10 p.m.")
    assert exhibition.start_utc == datetime(2024, 10, 14, 12, 10, tzinfo=UTC)
    assert exhibition.end is None
    assert exhibition.room == "M0E"


def test_crimecop_import_agrees_with_the_hand_made_monday_and_tuesday_rows(
    crimecop: Event,
) -> None:
    """The example holds Monday and Tuesday side events only; each is in the import, alike."""
    mine = {
        (s.title, s.start_utc, s.end_utc, s.room, s.mode == "online") for s in crimecop.sessions
    }
    example = _example("crimecop12-side-events").sessions
    assert len(example) == 29
    for s in example:
        assert (s.title, s.start_utc, s.end_utc, s.room, s.mode == "online") in mine


def test_crimecop_heading_gives_year_and_zone_without_options() -> None:
    """ "Vienna, 14–18 October 2024" is enough: the city table gives Europe/Vienna."""
    result = _import(CRIMECOP)
    assert result.config is not None
    assert (result.config["zone"], result.config["year"]) == ("Europe/Vienna", 2024)
    assert result.config["dates"] == {"start": "2024-10-14", "end": "2024-10-18"}
    assert result.session_count == 73
    assert result.report == ()


def test_kyoto_page_gives_three_events_not_six(kyoto: Event) -> None:
    """Three summary lines (a title, then "Thursday 11th March, 9:00 -10:30 JST (…)") and three
    "Event:/Date:/Time:" blocks describe the same three events: merged, 3."""
    assert len(kyoto.sessions) == 3


@pytest.mark.parametrize(
    ("title", "start_utc", "end_utc"),
    [
        pytest.param(
            "#AssassinationsWitness: monitoring assassinations and bearing witness to the "
            "victims of organized crime",
            datetime(2021, 3, 11, 0, 0, tzinfo=UTC),
            datetime(2021, 3, 11, 1, 30, tzinfo=UTC),
            id="thu-0900-jst",
        ),
        pytest.param(
            "The Global Illicit Economy: trajectories of organized crime",
            datetime(2021, 3, 11, 5, 0, tzinfo=UTC),
            datetime(2021, 3, 11, 6, 30, tzinfo=UTC),
            id="thu-1400-jst",
        ),
        pytest.param(
            "Resilience Fund: Supporting Community Responses to Organized Crime",
            datetime(2021, 3, 12, 2, 30, tzinfo=UTC),
            datetime(2021, 3, 12, 4, 0, tzinfo=UTC),
            id="fri-1130-jst",
        ),
    ],
)
def test_kyoto_events_have_the_listed_title_and_utc_instants(
    kyoto: Event, title: str, start_utc: datetime, end_utc: datetime
) -> None:
    """JST is UTC+9, and each CET conversion in the listing agrees with it."""
    session = _by_title(kyoto, title)
    assert (session.start_utc, session.end_utc) == (start_utc, end_utc)
    assert session.room is None


def test_kyoto_summary_lines_take_the_detailed_blocks_descriptions(kyoto: Event) -> None:
    """Merging keeps the moderator, speakers and session number of the "Event:" block."""
    first = kyoto.sessions[0]
    assert first.description is not None
    assert "(session #166)" in first.description
    assert "Moderated by Ana Paula Oliveira, GI-TOC analyst." in first.description
    assert kyoto.zone == "Asia/Tokyo"
    example = _example("kyoto-congress-gitoc")
    assert [s.start_utc for s in kyoto.sessions] == [s.start_utc for s in example.sessions]


@pytest.mark.parametrize(
    ("seed", "options"),
    [
        pytest.param(CCPCJ, ["--year", "2023", "--zone", "Europe/Vienna"], id="ccpcj"),
        pytest.param(CRIMECOP, ["--zone", "Europe/Vienna"], id="crimecop"),
        pytest.param(KYOTO, [], id="kyoto"),
    ],
)
def test_import_validate_schedule_round_trip_needs_no_edits(
    tmp_path: Path, seed: str, options: list[str]
) -> None:
    """The issue's "done when": the written file validates and schedules as it is."""
    out = tmp_path / "draft.yaml"
    runner = CliRunner()
    result = runner.invoke(import_listing_command, [str(SEEDS / seed), *options, "-o", str(out)])
    assert result.exit_code == 0, result.output
    validated = runner.invoke(main, ["validate", "--strict", str(out)])
    assert validated.exit_code == 0, validated.output
    config = load_config_files([out], today=TODAY)
    assert config.ok
    [event] = config.events
    planned = plan_reminders(config.events, datetime(2020, 1, 1, tzinfo=UTC))
    assert len(planned) == 3 * len(event.sessions)
    assert all(r.send_at_utc < r.session.start_utc for r in planned)
    scheduled = runner.invoke(main, ["schedule", str(out), "--from", "2020-01-01"])
    assert scheduled.exit_code == 0, scheduled.output
