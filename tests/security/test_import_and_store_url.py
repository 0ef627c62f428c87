"""`register import` runs the webhook address guard; a Redis password never reaches a log.

Both through real processes: the CLI with a CSV file, and the daemon against a real
``redis-server`` that requires a password (started on a free port by the root conftest's
``start_redis_server``, never the machine's own 6379).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notifier.settings import redact_url
from tests.support.api import CCPCJ, EXAMPLE_EVENTS
from tests.support.daemon import Workspace
from tests.support.events import event_yaml
from tests.support.tally import Tally

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


def _import(workspace: Workspace, urls: list[str], **settings: str) -> tuple[int, str]:
    csv_file = workspace.root / "people.csv"
    rows = ["webhook_url,timezone,sessions", *(f"{url},Asia/Tokyo," for url in urls)]
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    workspace.configure(config=str(EXAMPLE_EVENTS), **settings)
    done = workspace.notifier("register", "import", CCPCJ, str(csv_file))
    return done.returncode, done.stdout + done.stderr


def test_csv_import_refuses_webhooks_into_private_networks(
    outbox_workspace: Workspace, tally: Tally
) -> None:
    """An import is a registration too: a webhook on 10.x or the metadata service would have
    the service POST into its own network, which the API has always refused."""
    code, output = _import(outbox_workspace, [*INSIDE.values(), PUBLIC])
    assert code == 1, output
    stored = outbox_workspace.stored_registrations(CCPCJ)
    stored_urls = {r.webhook_url for r in stored}
    for name, url in INSIDE.items():
        tally.record("webhook into a private network (CSV import)", url not in stored_urls)
        assert url not in stored_urls, name
    assert stored_urls == {PUBLIC}, output
    assert output.count(": error: webhook_url: ") == len(INSIDE), output


def test_csv_import_follows_the_allowed_networks_setting(outbox_workspace: Workspace) -> None:
    """A private deployment allow-lists its network (NOTIFIER_WEBHOOK_ALLOWED_NETWORKS), as
    for the API; the import must read the same setting."""
    code, output = _import(
        outbox_workspace,
        [INSIDE["private-10"], INSIDE["loopback"]],
        webhook_allowed_networks="10.0.0.0/8",
    )
    assert code == 1, output  # loopback is still refused
    stored = outbox_workspace.stored_registrations(CCPCJ)
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


def _configure_daemon(workspace: Workspace, store_url: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    text = event_yaml({"talk": start}, event_id="sec", name="Sec")
    (workspace.root / "config" / "sec.yaml").write_text(text, encoding="utf-8")
    workspace.configure(store_url=store_url, signing_secret="r" * 32 + secrets.token_hex(4))


def test_a_redis_password_given_as_a_query_parameter_works_and_is_never_logged(
    outbox_workspace: Workspace, start_redis_server: Callable[..., Any], tally: Tally
) -> None:
    """`?password=` was logged in clear at start-up, and APScheduler's job store ignored it."""
    password = "Pw-" + secrets.token_hex(12)
    server = start_redis_server("--requirepass", password)
    url = f"redis://127.0.0.1:{server.port}/0?password={password}"
    _configure_daemon(outbox_workspace, url)
    daemon = outbox_workspace.start()
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
    outbox_workspace: Workspace, start_redis_server: Callable[..., Any], tally: Tally
) -> None:
    """A start-up error is read by whoever reads the logs: the password must not be in it."""
    server = start_redis_server("--requirepass", "the-right-one-" + secrets.token_hex(8))
    wrong = "Wrong-" + secrets.token_hex(12)
    _configure_daemon(outbox_workspace, f"redis://127.0.0.1:{server.port}/0?password={wrong}")
    done = outbox_workspace.notifier("run")
    assert done.returncode != 0
    tally.record("store password in a log line", wrong not in done.stdout + done.stderr)
    assert wrong not in done.stdout + done.stderr
