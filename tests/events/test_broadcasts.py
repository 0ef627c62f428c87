"""``broadcasts:`` in an event file: Apprise URLs whose secrets stay in the environment."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from notifier.configfiles import load_config_files
from notifier.events import Event, load_event
from notifier.jobs.broadcast import broadcast_targets, participants_wanted
from notifier.jobs.plan import reminders_of

TODAY = date(2026, 11, 25)
HEADER = """\
id: side-events
name: Side events
zone: Europe/Vienna
reminders: [1h]
sessions:
  - id: opening
    title: Opening
    when: "2027-03-10T09:00[Europe/Vienna]"
  - id: closing
    title: Closing
    when: "2027-03-12T17:00[Europe/Vienna]"
broadcasts:
"""


def _load(broadcasts: str) -> tuple[list[str], Event | None]:
    loaded = load_event(HEADER + broadcasts, "side.yaml", today=TODAY)
    return [str(p) for p in loaded.problems], loaded.event


def test_a_broadcast_with_env_references_and_its_own_offsets_plans_its_own_jobs() -> None:
    """A room's offsets add reminders; participants still get only the event's offsets."""
    problems, event = _load(
        "  - name: slack-room\n"
        '    url: "slack://${SLACK_A}/${SLACK_B}/${SLACK_C}/#side-events"\n'
        "    reminders: [1d, 1h]\n"
        "    sessions: [opening]\n"
    )
    assert problems == []
    assert event is not None
    planned = {(r.session.id, r.offset) for r in reminders_of([event])}
    assert planned == {
        ("opening", timedelta(days=1)),
        ("opening", timedelta(hours=1)),
        ("closing", timedelta(hours=1)),
    }
    day_before = next(r for r in reminders_of([event]) if r.offset == timedelta(days=1))
    assert not participants_wanted(day_before.session, day_before.ref)
    ((target, channel),) = broadcast_targets(day_before.event, day_before.session, day_before.ref)
    assert (target.id, channel) == ("broadcast:slack-room", "apprise")
    assert target.webhook_url == "slack://${SLACK_A}/${SLACK_B}/${SLACK_C}/#side-events"
    hour_before = [r for r in reminders_of([event]) if r.offset == timedelta(hours=1)]
    assert [len(broadcast_targets(r.event, r.session, r.ref)) for r in hour_before] == [1, 0]


@pytest.mark.parametrize(
    ("url", "column", "what"),
    [
        pytest.param(
            "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", 32, "token", id="path-token"
        ),
        pytest.param(
            "matrix://bot:hunter2@matrix.example.org/#room", 24, "password", id="password"
        ),
        pytest.param("json://hooks.example.org/in?token=abc", 45, "token=", id="query"),
    ],
)
def test_a_literal_secret_is_refused_where_it_is_written(url: str, column: int, what: str) -> None:
    """A file is committed and shared: a secret in it leaks; the error points at it."""
    problems, event = _load(f'  - name: room\n    url: "{url}"\n')
    assert event is None
    (problem,) = problems
    assert problem.startswith(f"side.yaml:14:{column}: error: ")
    assert what in problem
    assert "${NAME}" in problem
    assert "[broadcast-literal-secret]" in problem


def test_an_unknown_session_and_a_missing_scheme_are_both_reported() -> None:
    """Every problem at once, each with its place."""
    problems, _ = _load(
        '  - name: a\n    url: "hooks.example.org"\n'
        '  - name: b\n    url: "tgram://${BOT}/${CHAT}"\n    sessions: [openin]\n'
    )
    assert [p.split(": error: ")[0] for p in problems] == ["side.yaml:14:11", "side.yaml:17:16"]
    assert "slack://" in problems[0]
    assert 'no session "openin"' in problems[1]


def test_participants_cannot_be_given_the_apprise_channel_in_a_file() -> None:
    """apprise reaches only broadcast targets; a session channel of that name is refused."""
    text = HEADER.replace("reminders: [1h]", "reminders: [1h]\nchannels: [email, apprise]")
    loaded = load_event(text.removesuffix("broadcasts:\n"), "side.yaml", today=TODAY)
    assert loaded.event is None
    assert any(p.line == 5 for p in loaded.errors), [str(p) for p in loaded.problems]


def test_a_reference_missing_from_the_environment_is_an_error_at_load(tmp_path: Path) -> None:
    """Set at load or refused: a service must not start and then fail every broadcast."""
    path = tmp_path / "side.yaml"
    path.write_text(HEADER + '  - name: room\n    url: "json://${HOOK_HOST}/in/${HOOK_KEY}"\n')
    missing = load_config_files([path], today=TODAY, environ={"HOOK_HOST": "example.org"})
    assert [str(p) for p in missing.problems] == [
        f'{path}:14:11: error: broadcast "room": the environment variable HOOK_KEY is not set; '
        "set it where the service runs (docker compose: environment or an env_file) "
        "[broadcast-env-missing]"
    ]
    environ = {"HOOK_HOST": "example.org", "HOOK_KEY": "k3y-from-the-environment-000"}
    present = load_config_files([path], today=TODAY, environ=environ)
    assert present.ok
    (event,) = present.events
    assert "k3y" not in repr(event)  # the secret is resolved at send time only


@pytest.mark.parametrize(
    "url",
    [
        "matrix://${MATRIX_USER}:${MATRIX_PASSWORD}@matrix.example.org/#press",
        "tgram://${BOT_TOKEN}/${CHAT_ID}",
        "json://hooks.example.org:8443/in/T0${ROOM_SECRET_WITH_A_LONG_NAME}?token=${TOKEN}",
        "msteams://${TEAMS_A}/${TEAMS_B}/${TEAMS_C}/",
    ],
)
def test_references_in_every_secret_position_are_accepted(url: str) -> None:
    """What the docs tell organizers to write must load: no false alarm next to a reference."""
    problems, event = _load(f'  - name: room\n    url: "{url}"\n')
    assert problems == []
    assert event is not None
    assert event.broadcasts[0].url == url
