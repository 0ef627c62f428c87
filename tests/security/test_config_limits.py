"""Hostile config files: alias bombs, recursive aliases, deep nesting; and the reload watcher.

A config file is text that a running daemon reads on every edit. Each hostile file must be a
``file:line:column`` error that changes nothing, never a crash, a hang or gigabytes of memory;
and nothing a reload raises may stop the watcher, so the next good edit is still picked up.
``notifier validate`` and ``notifier run`` run as real processes, under a memory ceiling so
that a regression fails the test instead of the machine.
"""

from __future__ import annotations

import resource
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.daemon import Workspace
from tests.support.events import event_yaml, write_atomically
from tests.support.tally import Tally

MEMORY_CEILING_BYTES = 2 * 1024**3  # a billion laughs needs far more; the service ~150 MB
SIGNING_SECRET = "security-tests-signing-secret-32-bytes-long"  # noqa: S105  # a test value


def _billion_laughs() -> str:
    """342 bytes that expand to 9**9 (387 million) strings, as in the report."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    # name: (text, code, line, column)
    "billion-laughs": (_billion_laughs(), "yaml-alias-limit", 5, 8),
    "recursive-sequence": ("id: x\nname: &a [1, *a]\n", "yaml-recursive-alias", 2, 14),
    "recursive-mapping": ("id: x\nname: &m {self: *m}\n", "yaml-recursive-alias", 2, 17),
    "recursive-through-two": ("a: &a {b: &b [*a]}\n", "yaml-recursive-alias", 1, 15),
    "recursive-key": ("a: &k {? *k : 1}\n", "yaml-recursive-alias", 1, 10),
    "deep-nesting": ("a: " + "[" * 500 + "]" * 500 + "\n", "yaml-too-deep", 1, 67),
    "deeper-than-libyaml": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "yaml-syntax", 1, 1003),
    "wide-alias": (
        "big: &big ["
        + ", ".join(["x"] * 2000)
        + "]\n"
        + "".join(f"c{i}: *big\n" for i in range(6)),
        "yaml-alias-limit",
        6,
        5,
    ),
    "list-as-key": ("? [a, b]\n: c\n", "yaml-complex-key", 1, 3),
}


def _event(name: str, start: datetime) -> str:
    """A one-session event ("talk" at ``start``) with a 10-minute reminder."""
    return event_yaml({"talk": start}, event_id="sec", name=name)


def _memory_ceiling() -> None:
    """In the child: an address-space ceiling, so a runaway expansion dies as MemoryError."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING_BYTES, MEMORY_CEILING_BYTES))


def test_hostile_yaml_is_a_located_error_from_validate(
    outbox_workspace: Workspace, tally: Tally
) -> None:
    """`validate` must name the file, line and column of the alias or nesting, not crash."""
    folder = outbox_workspace.root / "config"
    for name, (text, *_) in HOSTILE.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    done = outbox_workspace.notifier("validate", str(folder), preexec=_memory_ceiling)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 1, done.stderr[-3000:]
    output = done.stdout + done.stderr
    for name, (_, code, line, column) in HOSTILE.items():
        expected = f"{folder / name}.yaml:{line}:{column}: error: "
        found = [li for li in output.splitlines() if li.startswith(expected) and code in li]
        tally.record("hostile YAML (validate)", bool(found))
        assert found, f"{name}: no {expected}…[{code}] in:\n{output}"


def test_an_alias_that_repeats_a_value_a_few_times_still_loads(
    outbox_workspace: Workspace,
) -> None:
    """Organizers use anchors for shared reminder lists; the limit must not refuse that."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    text = _event("Anchored", start).replace("reminders: [10m]", "reminders: &r [1d, 1h]")
    text += "  - id: second\n    title: Later\n    reminders: *r\n"
    text += f'    when: "{(start + timedelta(hours=2)):%Y-%m-%dT%H:%M:%S}[UTC]"\n'
    (outbox_workspace.root / "anchored.yaml").write_text(text, encoding="utf-8")
    done = outbox_workspace.notifier("validate", "anchored.yaml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_reload_watcher_survives_hostile_edits_and_takes_the_next_good_one(
    outbox_workspace: Workspace, tally: Tally
) -> None:
    """A recursive alias used to kill the watcher silently (every later edit ignored until a
    restart), and an alias bomb grew the daemon from 95 MB to 1.8 GB."""
    event_file = outbox_workspace.root / "config" / "sec.yaml"
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    event_file.write_text(_event("First name", start), encoding="utf-8")
    daemon = outbox_workspace.start(preexec=_memory_ceiling)
    try:
        daemon.wait_for("service_ready")
        baseline_mib = daemon.rss_mib()
        for number, name in enumerate(["recursive-sequence", "billion-laughs", "deep-nesting"]):
            write_atomically(event_file, HOSTILE[name][0])
            daemon.wait_for("config_reload_refused", count=number + 1)
            code = HOSTILE[name][1]
            tally.record("hostile YAML (hot reload)", code in daemon.log_text())
            assert code in daemon.log_text()
        assert daemon.rss_mib() - baseline_mib < 100, "an alias bomb must not grow the daemon"

        write_atomically(event_file, _event("Second name", start + timedelta(hours=1)))
        daemon.wait_for("config_reloaded")
        daemon.wait_for("jobs_synced", count=2)
        assert daemon.process.poll() is None
    finally:
        assert daemon.stop() == 0, daemon.log_text()[-4000:]
    assert "Traceback" not in daemon.log_text()


def test_reload_watcher_outlives_its_config_folder_being_replaced(
    outbox_workspace: Workspace,
) -> None:
    """Deploy scripts swap the whole folder; the watcher must come back and load the new one."""
    config = outbox_workspace.root / "config"
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    (config / "sec.yaml").write_text(_event("First name", start), encoding="utf-8")
    daemon = outbox_workspace.start()
    try:
        daemon.wait_for("service_ready")
        shutil.rmtree(config)
        fresh = outbox_workspace.root / "config.new"
        fresh.mkdir()
        (fresh / "sec.yaml").write_text(_event("New name", start), encoding="utf-8")
        fresh.rename(config)
        # the replaced folder may need an edit to be seen, as an editor's save makes one
        write_atomically(config / "sec.yaml", _event("Newer name", start))
        daemon.wait_for("config_reloaded")
        assert daemon.process.poll() is None
    finally:
        assert daemon.stop() == 0, daemon.log_text()[-4000:]


def test_reload_watcher_survives_a_store_outage_during_a_reload(
    outbox_workspace: Workspace, start_redis_server: Callable[..., Any]
) -> None:
    """A reload that fails past loading (here: Redis down while the jobs are synced) used to
    end the watcher, and a failed catch-up pass its loop; both must be logged and go on, and
    the next edit, after Redis is back, be applied."""
    server = start_redis_server()
    event_file = outbox_workspace.root / "config" / "sec.yaml"
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    event_file.write_text(_event("First name", start), encoding="utf-8")
    outbox_workspace.configure(
        store_url=server.url, signing_secret=SIGNING_SECRET, reconcile_interval_s="0.2"
    )
    daemon = outbox_workspace.start()
    try:
        daemon.wait_for("service_ready")
        server.stop()
        write_atomically(event_file, _event("Second name", start + timedelta(hours=1)))
        daemon.wait_for("config_reload_failed")
        daemon.wait_for("reconcile_failed", count=2)  # the catch-up loop goes on as well
        server.start()
        write_atomically(event_file, _event("Third name", start + timedelta(hours=2)))
        daemon.wait_for("config_reloaded", count=2)  # the failed reload logged the first
        daemon.wait_for("jobs_synced", count=2)
    finally:
        assert daemon.stop() == 0, daemon.log_text()[-4000:]
