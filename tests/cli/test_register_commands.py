"""`notifier register …` and `notifier deliveries` as an organizer runs them.

Each call runs the real CLI with its own process environment (``runner.invoke(env=...)``):
the repository's example events and an embedded SQLite store in the test's own folder. Any
``NOTIFIER_`` variable of the host is unset for the call, so nothing leaks in.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from pathlib import Path

from tests.support.cli import (
    EVENT,
    PALERMO,
    REGISTERED,
    SMUGGLING,
    Run,
    add_registration,
    stored_registrations,
)


def test_register_add_prints_the_new_id_scope_and_zone(run: Run, data_dir: Path) -> None:
    """The organizer needs the id to remove the registration later, and to see what was kept."""
    result = run(
        "register",
        "add",
        EVENT,
        "--email",
        "Ada@Example.org",
        "--tz",
        "Asia/Tokyo",
        "--session",
        SMUGGLING,
    )
    assert result.exit_code == 0, result.output
    match = REGISTERED.match(result.stdout.strip())
    assert match, result.stdout
    assert match[2] == SMUGGLING
    assert match[3] == "Asia/Tokyo"
    (stored,) = stored_registrations(data_dir)
    assert stored.id == match[1]
    assert stored.email == "Ada@example.org"
    assert (data_dir / "notifier.db").is_file()  # the embedded store, under NOTIFIER_DATA_DIR


def test_registering_the_same_address_again_merges_sessions_under_one_id(
    run: Run, data_dir: Path
) -> None:
    """One person registering twice must get one reminder per session, not two records."""
    first, _ = add_registration(
        run, "--email", "Ada@Example.org", "--tz", "Asia/Tokyo", "--session", SMUGGLING
    )
    second, scope = add_registration(
        run, "--email", "Ada@Example.org", "--tz", "Asia/Tokyo", "--session", PALERMO
    )
    assert second == first
    assert scope == f"{SMUGGLING}, {PALERMO}"
    listed = run("register", "list")
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.stdout.splitlines()
    assert header.startswith("ID  ")
    assert len(rows) == 1
    (stored,) = stored_registrations(data_dir)
    registered = stored.created_at.astimezone(UTC)
    assert rows[0].split() == [
        first,
        EVENT,
        "Asia/Tokyo",
        "undecided",
        "confirmed",
        f"{SMUGGLING},{PALERMO}",
        f"{registered:%Y-%m-%d}",
        f"{registered:%H:%M}",
        "UTC",
        "Ada@example.org",
    ]


def test_address_case_does_not_create_a_second_registration(run: Run) -> None:
    """Mail servers ignore case in practice; ADA@ and ada@ are the same participant."""
    first, _ = add_registration(run, "--email", "Ada@Example.org", "--session", SMUGGLING)
    second, _ = add_registration(run, "--email", "ADA@example.ORG", "--session", PALERMO)
    assert second == first
    assert len(run("register", "list", EVENT).stdout.splitlines()) == 2  # header and one row


def test_register_add_with_invalid_zone_exits_2_naming_the_field(run: Run, data_dir: Path) -> None:
    """A usage error must say which option to fix and suggest the zone meant."""
    result = run("register", "add", EVENT, "--email", "ada@example.org", "--tz", "Asia/Tokio")
    assert result.exit_code == 2
    assert "timezone" in result.stderr
    assert "did you mean Asia/Tokyo" in result.stderr
    assert result.stdout == ""
    assert not (data_dir / "notifier.db").exists()  # nothing stored, not even an empty store


def test_register_add_for_unknown_event_names_the_known_events(run: Run) -> None:
    """A mistyped event id must show the ids that do exist."""
    result = run("register", "add", "ccpcj-33-gitoc", "--email", "ada@example.org")
    assert result.exit_code != 0
    assert 'no event "ccpcj-33-gitoc"' in result.stderr
    assert "known: ccpcj-32-gitoc, crimecop12-side-events" in result.stderr


def test_register_import_reports_every_row_and_stores_the_good_ones(
    run: Run, data_dir: Path, tmp_path: Path
) -> None:
    """One bad line must not hide the others, and must make the exit code say so."""
    csv_file = tmp_path / "participants.csv"
    csv_file.write_text(
        "email,timezone,sessions\n"
        f"Ada@Example.org,Asia/Tokyo,{SMUGGLING}\n"
        "grace@example.org,America/New_York,\n"
        "not-an-email,UTC,\n"
        "linus@example.org,Europe/Helsinki,no-such-session\n",
        encoding="utf-8",
    )
    result = run("register", "import", EVENT, str(csv_file))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert lines[4] == "2 of 4 row(s) imported, 2 failed"
    assert re.fullmatch(r"row 2: ok: [0-9a-f]{32}", lines[0])
    assert re.fullmatch(r"row 3: ok: [0-9a-f]{32}", lines[1])
    assert lines[2].startswith("row 4: error: email: ")
    assert lines[3].startswith('row 5: error: sessions: no session "no-such-session"')
    stored = {r.email: r for r in stored_registrations(data_dir)}
    assert set(stored) == {"Ada@example.org", "grace@example.org"}
    assert stored["Ada@example.org"].id == lines[0].rsplit(" ", 1)[1]
    assert stored["Ada@example.org"].sessions == (SMUGGLING,)
    assert stored["Ada@example.org"].timezone == "Asia/Tokyo"
    assert stored["grace@example.org"].sessions is None
    assert stored["grace@example.org"].timezone == "America/New_York"


def test_register_import_of_a_clean_csv_exits_0(run: Run, tmp_path: Path) -> None:
    """Scripts chain imports on the exit code; success must be 0."""
    csv_file = tmp_path / "participants.csv"
    csv_file.write_text("email,timezone,sessions\nada@example.org,UTC,\n", encoding="utf-8")
    result = run("register", "import", EVENT, str(csv_file))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("row 2: ok: ")


def test_register_import_accepts_a_spreadsheet_csv_with_byte_order_mark(
    run: Run, data_dir: Path, tmp_path: Path
) -> None:
    """Excel's "CSV UTF-8" starts with a BOM; the header must still be read as email,…."""
    csv_file = tmp_path / "from-excel.csv"
    csv_file.write_text(
        "email,timezone,sessions\r\nada@example.org,Asia/Tokyo,\r\n", encoding="utf-8-sig"
    )
    result = run("register", "import", EVENT, str(csv_file))
    assert result.exit_code == 0, result.output
    assert [r.email for r in stored_registrations(data_dir)] == ["ada@example.org"]


def test_register_remove_exits_0_then_1_for_an_id_already_gone(run: Run) -> None:
    """Scripts must tell "removed" from "there was nothing to remove"."""
    registration_id, _ = add_registration(run, "--email", "ada@example.org")
    removed = run("register", "remove", registration_id)
    assert removed.exit_code == 0, removed.output
    assert removed.stdout.strip() == f"removed {registration_id}"
    again = run("register", "remove", registration_id)
    assert again.exit_code == 1
    assert again.stdout.strip() == f"no registration {registration_id}"
    assert run("register", "list").stdout.startswith("no registrations yet;")


def test_deliveries_json_on_an_empty_store_is_an_empty_list(run: Run) -> None:
    """Tools parse this output; an empty log must still be valid JSON."""
    result = run("deliveries", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
