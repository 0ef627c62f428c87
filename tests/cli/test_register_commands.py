"""`notifier register …` and `notifier deliveries` as an organizer runs them.

Each call runs the real CLI with its own process environment (``runner.invoke(env=...)``):
the repository's example events and an embedded SQLite store in the test's own folder. Any
``NOTIFIER_`` variable of the host is unset for the call, so nothing leaks in.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from notifier.cli import main
from notifier.records import Registration
from notifier.settings import PREFIX
from notifier.store import open_store

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "config" / "events"
EVENT = "ccpcj-32-gitoc"
SMUGGLING = "human-smuggling-central-med"
PALERMO = "palermo-convention-20-years"
REGISTERED = re.compile(r"^registered ([0-9a-f]{32}) for ccpcj-32-gitoc \((.*)\), zone (\S+)$")

Run = Callable[..., Result]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store's folder; the working folder is the test's, so no stray .env is read."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


@pytest.fixture
def run(data_dir: Path) -> Run:
    """Invoke ``notifier`` with NOTIFIER_CONFIG and NOTIFIER_DATA_DIR set for that call only."""
    runner = CliRunner()
    env: dict[str, str | None] = {
        name: None for name in os.environ if name.upper().startswith(PREFIX)
    }
    env |= {"NOTIFIER_CONFIG": str(EVENTS), "NOTIFIER_DATA_DIR": str(data_dir)}

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), env=env)

    return invoke


def _add(run: Run, *args: str) -> tuple[str, str]:
    result = run("register", "add", EVENT, *args)
    assert result.exit_code == 0, result.output
    match = REGISTERED.match(result.stdout.strip())
    assert match, result.stdout
    return match[1], match[2]


def _stored(data_dir: Path) -> list[Registration]:
    """What the store holds, read with the store API (opened and closed here)."""

    async def read() -> list[Registration]:
        store = await open_store(f"sqlite:///{data_dir / 'notifier.db'}")
        try:
            return await store.list_registrations(EVENT)
        finally:
            await store.aclose()

    return asyncio.run(read())


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
    (stored,) = _stored(data_dir)
    assert stored.id == match[1]
    assert stored.email == "Ada@example.org"
    assert (data_dir / "notifier.db").is_file()  # the embedded store, under NOTIFIER_DATA_DIR


def test_registering_the_same_address_again_merges_sessions_under_one_id(run: Run) -> None:
    """One person registering twice must get one reminder per session, not two records."""
    first, _ = _add(run, "--email", "Ada@Example.org", "--tz", "Asia/Tokyo", "--session", SMUGGLING)
    second, scope = _add(
        run, "--email", "Ada@Example.org", "--tz", "Asia/Tokyo", "--session", PALERMO
    )
    assert second == first
    assert scope == f"{SMUGGLING}, {PALERMO}"
    listed = run("register", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].split() == [
        first,
        EVENT,
        "Ada@example.org",
        "Asia/Tokyo",
        "undecided",
        f"{SMUGGLING},{PALERMO}",
    ]


def test_address_case_does_not_create_a_second_registration(run: Run) -> None:
    """Mail servers ignore case in practice; ADA@ and ada@ are the same participant."""
    first, _ = _add(run, "--email", "Ada@Example.org", "--session", SMUGGLING)
    second, _ = _add(run, "--email", "ADA@example.ORG", "--session", PALERMO)
    assert second == first
    assert len(run("register", "list", EVENT).stdout.splitlines()) == 1


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
    assert len(lines) == 4
    assert re.fullmatch(r"row 2: ok: [0-9a-f]{32}", lines[0])
    assert re.fullmatch(r"row 3: ok: [0-9a-f]{32}", lines[1])
    assert lines[2].startswith("row 4: error: email: ")
    assert lines[3].startswith('row 5: error: sessions: no session "no-such-session"')
    stored = {r.email: r for r in _stored(data_dir)}
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
    assert [r.email for r in _stored(data_dir)] == ["ada@example.org"]


def test_register_remove_exits_0_then_1_for_an_id_already_gone(run: Run) -> None:
    """Scripts must tell "removed" from "there was nothing to remove"."""
    registration_id, _ = _add(run, "--email", "ada@example.org")
    removed = run("register", "remove", registration_id)
    assert removed.exit_code == 0, removed.output
    assert removed.stdout.strip() == f"removed {registration_id}"
    again = run("register", "remove", registration_id)
    assert again.exit_code == 1
    assert again.stdout.strip() == f"no registration {registration_id}"
    assert run("register", "list").stdout == ""


def test_deliveries_json_on_an_empty_store_is_an_empty_list(run: Run) -> None:
    """Tools parse this output; an empty log must still be valid JSON."""
    result = run("deliveries", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
