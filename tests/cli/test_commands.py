"""The notifier command as a user runs it: convert, validate, schedule."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from notifier.cli import main

ROOT = Path(__file__).resolve().parents[2]
EVENTS = str(ROOT / "config" / "events")


Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_convert_shows_each_zone_with_abbreviation_and_offset(run: Run) -> None:
    """The issue's own example: a CCPCJ slot seen from Tokyo and New York."""
    result = run(
        "convert",
        "Tuesday 23 May 09:10-10:00 CEST",
        "--year",
        "2023",
        "--to",
        "Asia/Tokyo",
        "--to",
        "America/New_York",
    )
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "09:10–10:00 CEST (UTC+02:00)" in lines[0]
    assert "07:10–08:00 UTC" in lines[1]
    assert lines[2].startswith("Asia/Tokyo")
    assert "16:10–17:00 JST (UTC+09:00)" in lines[2]
    assert "03:10–04:00 EDT (UTC-04:00)" in lines[3]


def test_convert_json_has_utc_instants_zone_and_warnings(run: Run) -> None:
    """Scripts rely on these keys; the Z form is what APIs expect."""
    result = run("convert", "12 January 2024 10:00 CEST", "--zone", "Europe/Vienna", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["start_utc"] == "2024-01-12T09:00:00Z"
    assert data["end_utc"] is None
    assert data["zone"] == "Europe/Vienna"
    assert [w["code"] for w in data["warnings"]] == ["season-abbreviation"]


def test_convert_uses_date_and_zone_options_for_a_programme_row(run: Run) -> None:
    """Rows under a day heading give only a time; --date and --zone supply the rest."""
    result = run(
        "convert", "1.15–2.10 p.m.", "--zone", "Europe/Vienna", "--date", "2024-10-14", "--json"
    )
    data = json.loads(result.output)
    assert (data["start_utc"], data["end_utc"]) == ("2024-10-14T11:15:00Z", "2024-10-14T12:10:00Z")


def test_convert_failure_exits_non_zero_and_points_at_the_problem(run: Run) -> None:
    """An error must say what and where; a caret shows where in the expression."""
    result = run("convert", "Tuesday 23 May 09:10-10:00 CEST", "--year", "2024")
    assert result.exit_code == 1
    assert "23 May 2024 is a Thursday, not a Tuesday" in result.output
    assert "[weekday-mismatch]" in result.output
    failed = run("convert", "23 May 2023 09:10 IST", "--json")
    assert failed.exit_code == 1
    assert json.loads(failed.output)["error"]["code"] == "ambiguous-abbreviation"


def test_convert_rejects_an_unknown_target_zone(run: Run) -> None:
    """A misspelt --to zone is a usage error with a suggestion, not a traceback."""
    result = CliRunner().invoke(main, ["convert", "23 May 2023 9:00 UTC", "--to", "Asia/Tokio"])
    assert result.exit_code == 2
    assert "Asia/Tokyo" in result.output


def test_validate_passes_the_example_configs_with_one_line_per_file(run: Run) -> None:
    """`notifier validate config/events` is the issue's acceptance check."""
    result = run("validate", EVENTS, "--strict")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 4
    assert all(": ok, event " in line for line in lines)


def test_validate_lists_every_problem_and_fails(tmp_path: Path, run: Run) -> None:
    """Non-zero exit with file:line:column for each problem."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\nname: X\nzone: Europe/Vienna\nyear: 2023\nsessions:\n"
        "  - id: a\n    title: A\n    when: Wednesday 23 May 9:00\n    romm: 1\n"
    )
    result = run("validate", str(tmp_path))
    assert result.exit_code == 1
    assert f"{bad}:8:11: error: 23 May 2023 is a Tuesday" in result.output
    assert f'{bad}:9:5: error: unknown key "romm"' in result.output


def test_strict_turns_warnings_into_failure(tmp_path: Path, run: Run) -> None:
    """CI for a config repository can refuse doubtful times."""
    warned = tmp_path / "w.yaml"
    warned.write_text(
        "id: x\nname: X\nzone: Europe/Vienna\nsessions:\n"
        "  - id: a\n    title: A\n    when: 12 January 2024 10:00 CEST\n"
    )
    assert run("validate", str(warned)).exit_code == 0
    assert run("validate", "--strict", str(warned)).exit_code == 1


def test_schedule_in_tokyo_shows_the_ccpcj_reminders(run: Run) -> None:
    """The issue's acceptance check: CCPCJ 09:10 CEST is 16:10 JST."""
    result = run("schedule", EVENTS, "--tz", "Asia/Tokyo", "--from", "2023-05-01")
    assert result.exit_code == 0
    assert "Tue 23 May 2023 16:10–17:00 JST (UTC+09:00)" in result.output
    assert "Mon 22 May 2023 16:10 JST (UTC+09:00)" in result.output  # 1d before
    assert "2023-05-23T07:00:00Z  10m     ccpcj-32-gitoc/human-smuggling-central-med" in (
        result.output
    )


def test_schedule_json_is_sorted_and_flags_the_past(run: Run) -> None:
    """Tools consume the plan; past reminders must be marked, not hidden."""
    result = run("schedule", EVENTS, "--json", "--from", "2023-05-23T07:05:00+00:00")
    data = json.loads(result.output)
    sends = [r["send_at_utc"] for r in data["reminders"]]
    assert sends == sorted(sends)
    flagged = {(r["session"], r["offset"]) for r in data["reminders"] if "past" in r["flags"]}
    assert ("human-smuggling-central-med", "10m") in flagged
    assert ("firearms-trafficking-latin-america", "1h") not in flagged


def test_schedule_refuses_a_broken_config(tmp_path: Path, run: Run) -> None:
    """Nothing is scheduled from a config with errors."""
    (tmp_path / "bad.yaml").write_text("id: x\nsessions: nope\n")
    result = run("schedule", str(tmp_path))
    assert result.exit_code == 1
    assert "bad.yaml" in result.output


def test_installed_console_script_runs() -> None:
    """The `notifier` entry point from pyproject is what users type."""
    script = Path(sys.executable).parent / "notifier"
    done = subprocess.run(
        [str(script), "convert", "11:59 p.m. ET on 1 March 2025", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["start_utc"] == "2025-03-02T04:59:00Z"


@pytest.mark.parametrize(
    ("given", "used_utc"),
    [
        pytest.param("2027-03-13T21:00", "2027-03-13T21:00:00Z", id="no-offset-is-utc"),
        pytest.param("2027-03-13T21:00+01:00", "2027-03-13T20:00:00Z", id="offset-converted"),
        pytest.param("2027-03-13T21:00Z", "2027-03-13T21:00:00Z", id="zulu"),
        pytest.param("2027-03-13", "2027-03-13T00:00:00Z", id="date-only"),
    ],
)
def test_schedule_from_accepts_the_readme_forms_and_prints_the_instant_in_utc(  # type: ignore[no-untyped-def]
    run, given: str, used_utc: str
) -> None:
    """The README shows 2027-03-13T21:00 with and without an offset; the footer must say which
    instant "past" was measured from, in UTC, not the offset's local clock labelled UTC."""
    result = run("schedule", EVENTS, "--from", given)
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith(f"already past at {used_utc}")


def test_schedule_from_refuses_what_is_not_iso_8601(run) -> None:  # type: ignore[no-untyped-def]
    """A typo in --from must not silently preview against the wrong instant."""
    result = CliRunner().invoke(main, ["schedule", EVENTS, "--from", "13/03/2027"])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


def test_tz_suggestion_reads_the_abbreviation_table_first(run) -> None:  # type: ignore[no-untyped-def]
    """--tz JST means Asia/Tokyo; spelling alone would suggest the legacy alias MST."""
    result = CliRunner().invoke(main, ["schedule", EVENTS, "--tz", "JST"])
    assert result.exit_code == 2
    assert "did you mean Asia/Tokyo?" in result.output
    assert "MST" not in result.output
