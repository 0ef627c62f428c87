"""`register import` runs the webhook address guard; a Redis password never reaches a log.

Both through real processes: the CLI with a CSV file, and the daemon against a real
``redis-server`` that requires a password (started on a free port by the root conftest's
``start_redis_server``, never the machine's own 6379).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from notifier.settings import redact_url
from tests.security.input_support import (
    CCPCJ,
    EXAMPLES,
    Tally,
    clean_env,
    event_yaml,
    run_notifier,
    start_daemon,
    stored_registrations,
)

INSIDE = {
    "loopback": "http://127.0.0.1:8080/hook",
    "loopback-name": "http://localhost/hook",
    "private-10": "http://10.1.2.3/hook",
    "private-192": "http://192.168.0.10/hook",
    "cloud-metadata": "http://169.254.169.254/latest/meta-data",
    "carrier-nat": "http://100.64.0.1/hook",
    "unspecified": "http://0.0.0.0/hook",
    "ipv6-loopback": "http://[::1]/hook",
    "ipv4-mapped-loopback": "http://[::ffff:127.0.0.1]/hook",
    "ipv6-unique-local": "http://[fd00::1]/hook",
}
PUBLIC = "https://93.184.215.14/hooks/notifier"  # a public address literal: no DNS, no request


def _import(tmp_path: Path, urls: list[str], **settings: str) -> tuple[int, str]:
    csv_file = tmp_path / "people.csv"
    rows = ["webhook_url,timezone,sessions", *(f"{url},Asia/Tokyo," for url in urls)]
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = clean_env(tmp_path, config=str(EXAMPLES), **settings)
    done = run_notifier(env, "register", "import", CCPCJ, str(csv_file), cwd=tmp_path)
    return done.returncode, done.stdout + done.stderr


def test_csv_import_refuses_webhooks_into_private_networks(tmp_path: Path, tally: Tally) -> None:
    """An import is a registration too: a webhook on 10.x or the metadata service would have
    the service POST into its own network, which the API has always refused."""
    code, output = _import(tmp_path, [*INSIDE.values(), PUBLIC])
    assert code == 1, output
    stored = stored_registrations(f"sqlite:///{tmp_path / 'data' / 'notifier.db'}", CCPCJ)
    stored_urls = {r.webhook_url for r in stored}
    for name, url in INSIDE.items():
        tally.record("webhook into a private network (CSV import)", url not in stored_urls)
        assert url not in stored_urls, name
    assert stored_urls == {PUBLIC}, output
    assert output.count(": error: webhook_url: ") == len(INSIDE), output


def test_csv_import_follows_the_allowed_networks_setting(tmp_path: Path) -> None:
    """A private deployment allow-lists its network (NOTIFIER_WEBHOOK_ALLOWED_NETWORKS), as
    for the API; the import must read the same setting."""
    code, output = _import(
        tmp_path, [INSIDE["private-10"], INSIDE["loopback"]], webhook_allowed_networks="10.0.0.0/8"
    )
    assert code == 1, output  # loopback is still refused
    stored = stored_registrations(f"sqlite:///{tmp_path / 'data' / 'notifier.db'}", CCPCJ)
    assert {r.webhook_url for r in stored} == {INSIDE["private-10"]}


REDIS_URL_FORMS = {
    "userinfo": ("redis://:{pw}@h:6379/0", "redis://:***@h:6379/0"),
    "user-and-password": ("rediss://app:{pw}@h/1", "rediss://app:***@h/1"),
    "query": ("redis://h:6379/0?password={pw}", "redis://h:6379/0?password=***"),
    "query-with-others": (
        "redis://h:6379/0?socket_timeout=3&password={pw}&db=2",
        "redis://h:6379/0?socket_timeout=3&password=***&db=2",
    ),
    "query-upper-case": ("redis://h/0?PASSWORD={pw}", "redis://h/0?PASSWORD=***"),
    "both": ("redis://u:{pw}@h/0?password={pw}", "redis://u:***@h/0?password=***"),
    "tls-key-password": ("rediss://h/0?ssl_password={pw}", "rediss://h/0?ssl_password=***"),
}


@pytest.mark.parametrize(("url", "shown"), REDIS_URL_FORMS.values(), ids=REDIS_URL_FORMS.keys())
def test_redact_url_hides_passwords_in_the_query_too(url: str, shown: str, tally: Tally) -> None:
    """redis-py reads ?password= as well as :password@, so logs must hide both."""
    password = "Pw-" + secrets.token_hex(8)
    redacted = redact_url(url.format(pw=password))
    tally.record("store password in a log line", password not in redacted)
    assert redacted == shown


def _daemon_env(tmp_path: Path, store_url: str) -> dict[str, str]:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    (config / "sec.yaml").write_text(event_yaml("Sec", start), encoding="utf-8")
    return clean_env(tmp_path, store_url=store_url, signing_secret="r" * 32 + secrets.token_hex(4))


def test_a_redis_password_given_as_a_query_parameter_works_and_is_never_logged(
    tmp_path: Path, start_redis_server: Callable[..., Any], tally: Tally
) -> None:
    """`?password=` was logged in clear at start-up, and APScheduler's job store ignored it."""
    password = "Pw-" + secrets.token_hex(12)
    server = start_redis_server("--requirepass", password)
    url = f"redis://127.0.0.1:{server.port}/0?password={password}"
    daemon = start_daemon(_daemon_env(tmp_path, url), tmp_path)
    try:
        daemon.wait_for("service_ready")
        daemon.wait_for("jobs_synced")  # APScheduler's Redis job store got in with it too
    finally:
        assert daemon.stop() == 0, daemon.log_text()[-4000:]
    log = daemon.log_text()
    tally.record("store password in a log line", password not in log)
    assert password not in log
    assert "password=***" in log


def test_a_wrong_redis_password_fails_without_showing_it(
    tmp_path: Path, start_redis_server: Callable[..., Any], tally: Tally
) -> None:
    """A start-up error is read by whoever reads the logs: the password must not be in it."""
    server = start_redis_server("--requirepass", "the-right-one-" + secrets.token_hex(8))
    wrong = "Wrong-" + secrets.token_hex(12)
    env = _daemon_env(tmp_path, f"redis://127.0.0.1:{server.port}/0?password={wrong}")
    done = run_notifier(env, "run", cwd=tmp_path)
    assert done.returncode != 0
    tally.record("store password in a log line", wrong not in done.stdout + done.stderr)
    assert wrong not in done.stdout + done.stderr
