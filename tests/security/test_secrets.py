"""The link-signing secret, the key file, private data files, and confirmation links that expire.

A weak or leaked signing secret lets anyone forge confirm and unsubscribe links and webhook
signatures, so the service refuses to run with one: under 32 bytes from either source, or a
key file other users can read. Commands run as real processes with their settings in the
environment; the API runs in process with a clock the test moves.
"""

from __future__ import annotations

import os
import resource
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from notifier.signing import make_token
from tests.support.api import CCPCJ, Api, AppSetup, serve_api
from tests.support.daemon import Workspace
from tests.support.events import event_yaml
from tests.support.mail import link_in
from tests.support.tally import Tally

REGISTER_URL = f"/api/v1/events/{CCPCJ}/registrations"

SHORT_SECRETS = {
    "empty": "",
    "one-character": "Q",
    "15-characters": "short-secret-Q7",
    "31-ascii-bytes": "K" * 31,
    "15-characters-30-bytes": "é" * 15,
    "16-characters-31-bytes": "é" * 15 + "K",
}
GOOD_KEY = "k" * 43  # what secrets.token_urlsafe(32) makes: 43 characters


def _secret_command(workspace: Workspace) -> tuple[int, str, str]:
    """``notifier register secret``: it reads the signing secret and prints a webhook key."""
    done = workspace.notifier("register", "secret", "some-registration")
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("value", SHORT_SECRETS.values(), ids=SHORT_SECRETS.keys())
def test_signing_secret_under_32_bytes_is_refused_from_the_environment(
    outbox_workspace: Workspace, tally: Tally, value: str
) -> None:
    """A 1-character secret makes every signed link guessable; no command may run with it."""
    outbox_workspace.configure(signing_secret=value)
    code, out, err = _secret_command(outbox_workspace)
    refused = code != 0 and "whsec_" not in out
    tally.record("signing secret < 32 bytes (environment)", refused)
    assert refused, out
    assert "NOTIFIER_SIGNING_SECRET" in err
    assert "at least 32 bytes" in err
    if len(value) > 1:
        assert value not in err + out  # refused without echoing it


def test_the_service_does_not_start_with_a_short_signing_secret(
    outbox_workspace: Workspace,
) -> None:
    """The daemon is where the secret signs links: it must stop at start, saying why."""
    outbox_workspace.configure(signing_secret="Q")  # noqa: S106  # the weak value under test
    done = outbox_workspace.notifier("run")
    assert done.returncode != 0
    assert "NOTIFIER_SIGNING_SECRET" in done.stderr
    assert "service_ready" not in done.stderr


def test_a_32_byte_secret_is_accepted_even_in_16_characters(
    outbox_workspace: Workspace,
) -> None:
    """The limit is in bytes, the HMAC key's unit; 16 two-byte characters are 32 bytes."""
    outbox_workspace.configure(signing_secret="é" * 16)
    code, out, err = _secret_command(outbox_workspace)
    assert code == 0, err
    assert out.startswith("whsec_")


KEY_FILES = {
    "empty": ("", 0o600),
    "whitespace-only": (" \n", 0o600),
    "31-bytes": ("k" * 31 + "\n", 0o600),
    "world-readable-0644": (GOOD_KEY + "\n", 0o644),
    "group-readable-0640": (GOOD_KEY + "\n", 0o640),
    "world-readable-0604": (GOOD_KEY + "\n", 0o604),
    "group-writable-0620": (GOOD_KEY + "\n", 0o620),
}


@pytest.mark.parametrize(("text", "mode"), KEY_FILES.values(), ids=KEY_FILES.keys())
def test_a_short_or_shared_key_file_is_refused(
    outbox_workspace: Workspace, tally: Tally, text: str, mode: int
) -> None:
    """An empty key signs forgeable links; a readable one hands the key to every local user."""
    data = outbox_workspace.root / "data"
    data.mkdir()
    key = data / "signing.key"
    key.write_text(text, encoding="utf-8")
    key.chmod(mode)
    code, out, err = _secret_command(outbox_workspace)
    refused = code != 0 and "whsec_" not in out
    tally.record("signing.key short or group/world-accessible", refused)
    assert refused, out
    assert str(key) in err  # says which file, and what to do
    assert "chmod 600" in err or "delete it" in err
    assert key.read_text(encoding="utf-8") == text  # left for the operator to look at


def test_a_private_full_length_key_file_is_used(outbox_workspace: Workspace) -> None:
    """The generated key, as the service leaves it, must keep working across restarts."""
    data = outbox_workspace.root / "data"
    data.mkdir()
    key = data / "signing.key"
    key.write_text(GOOD_KEY + "\n", encoding="utf-8")
    key.chmod(0o600)
    first = _secret_command(outbox_workspace)
    assert first[0] == 0, first[2]
    assert _secret_command(outbox_workspace) == first


def _no_file_growth() -> None:
    """In the child: any write to a regular file fails (EFBIG), as on a full disk or a crash."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def test_a_failure_while_writing_the_key_leaves_no_empty_key_behind(
    outbox_workspace: Workspace,
) -> None:
    """A key file created first and written after stays empty when the write fails, and the
    next start signed with an empty key; now the key appears whole or not at all."""
    failed = outbox_workspace.notifier("register", "secret", "r1", preexec=_no_file_growth)
    assert failed.returncode != 0
    key = outbox_workspace.root / "data" / "signing.key"
    assert not key.exists() or len(key.read_text(encoding="utf-8").strip()) >= 32

    again = _secret_command(outbox_workspace)
    assert again[0] == 0, again[2]
    assert len(key.read_text(encoding="utf-8").strip().encode()) >= 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert _secret_command(outbox_workspace) == again  # the same key from now on


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which files default to 0644 (restored after the test)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("umask_022")
def test_store_and_key_files_are_private_while_the_service_runs(
    outbox_workspace: Workspace, tally: Tally
) -> None:
    """The SQLite files hold every participant's address; other users must not read them."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    text = event_yaml({"talk": start}, event_id="sec", name="Sec")
    (outbox_workspace.root / "config" / "sec.yaml").write_text(text, encoding="utf-8")
    daemon = outbox_workspace.start()
    try:
        daemon.wait_for("service_ready")
        data = outbox_workspace.root / "data"
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir() if p.is_file()}
    finally:
        assert daemon.stop() == 0, daemon.log_text()
    assert {"notifier.db", "notifier.db-wal", "notifier.db-shm", "signing.key"} <= set(files)
    for name, mode in files.items():
        tally.record("data file readable by others", mode & 0o077 == 0)
        assert mode & 0o077 == 0, f"{name} is {mode:04o}"


# confirmation links


def _register(served: Api, address: str) -> str:
    response = served.client.post(REGISTER_URL, json={"email": address, "timezone": "Asia/Tokyo"})
    assert response.status_code == 202, response.text  # the same answer for everyone: no id
    listed = served.run(served.store.list_registrations)
    [stored] = [r for r in listed if r.email == address]
    return stored.id


def _links(served: Api, address: str) -> tuple[str, str]:
    mail = next(m for m in served.outbox_messages() if address in str(m["To"]))
    return link_in(mail, "confirm"), link_in(mail, "unsubscribe")


def _confirmed(served: Api, registration_id: str) -> bool:
    found = served.run(served.store.get_registration, registration_id)
    assert found is not None
    return found.confirmed


def test_confirmation_links_expire_and_unsubscribe_links_do_not(
    guarded: AppSetup, tally: Tally
) -> None:
    """An old confirmation email must not opt anyone in weeks later; a reminder's unsubscribe
    link must still work whenever it is clicked."""
    week = timedelta(days=7)  # the default NOTIFIER_CONFIRM_LINK_MAX_AGE_S
    # the request itself may live longer than its link here, so that the link's age decides
    guarded.settings_overrides["pending_expiry_s"] = 30 * 86400
    clock = guarded.clock
    with serve_api(guarded) as served:
        client = served.client
        late = _register(served, "late@example.org")
        on_time = _register(served, "on-time@example.org")
        late_confirm, late_unsubscribe = _links(served, "late@example.org")
        on_time_confirm, _ = _links(served, "on-time@example.org")

        clock.advance(week - timedelta(minutes=1))
        assert client.post(on_time_confirm).status_code == 200
        assert _confirmed(served, on_time)

        clock.advance(timedelta(minutes=1, seconds=1))
        for method in ("GET", "POST"):
            response = client.request(method, late_confirm)
            refused = response.status_code == 400 and "expired" in response.text
            tally.record("expired confirmation link", refused)
            assert refused, response.text
        assert not _confirmed(served, late)

        clock.advance(timedelta(days=365))
        assert client.get(late_unsubscribe).status_code == 200
        assert client.post(late_unsubscribe).status_code == 200
        assert served.run(served.store.get_registration, late) is None


def test_the_confirmation_link_lifetime_is_a_setting(guarded: AppSetup, tally: Tally) -> None:
    """Ops may want links to work for a day, not a week (NOTIFIER_CONFIRM_LINK_MAX_AGE_S)."""
    guarded.settings_overrides["confirm_link_max_age_s"] = 3600
    with serve_api(guarded) as served:
        registration_id = _register(served, "hourly@example.org")
        confirm, _ = _links(served, "hourly@example.org")
        guarded.clock.advance(timedelta(seconds=3601))
        response = served.client.post(confirm)
        tally.record("expired confirmation link", response.status_code == 400)
        assert response.status_code == 400
        assert not _confirmed(served, registration_id)


def test_a_confirm_token_without_a_time_is_refused(served: Api, tally: Tally) -> None:
    """Confirm tokens made before links expired (no timestamp) must not confirm forever."""
    registration_id = _register(served, "old-link@example.org")
    untimed = make_token(served.app.setup.signing_secret, "confirm", registration_id)
    for method in ("GET", "POST"):
        response = served.client.request(method, f"/confirm/{untimed}")
        tally.record("confirm token without a time", response.status_code == 400)
        assert response.status_code == 400
    assert not _confirmed(served, registration_id)
