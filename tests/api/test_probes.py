"""Probes, the access log and the default collectors: what ops see of the HTTP side (#17.5)."""

from __future__ import annotations

from structlog.testing import capture_logs

from notifier.api._access import redact_path
from notifier.metrics import make_metrics
from notifier.signing import make_token
from tests.support.api import SIGNING_SECRET, Api, AppSetup


def test_head_on_the_probes_answers_like_get_without_a_body(api: Api, setup: AppSetup) -> None:
    """Load balancers and uptime checkers probe with HEAD; a 405 would read as down."""
    assert (api.client.head("/healthz").status_code, api.client.head("/healthz").content) == (
        200,
        b"",
    )
    assert api.client.head("/readyz").status_code == 200
    setup.scheduler_running = False
    assert api.client.head("/readyz").status_code == 503


def test_readyz_names_every_failing_check_in_its_body(api: Api, setup: AppSetup) -> None:
    """An operator reading one curl output must see what is down, not only that it is."""
    setup.scheduler_running = False
    body = api.client.get("/readyz").json()
    assert body["status"] == "not_ready"
    assert body["failing"] == ["scheduler"]


def test_each_request_logs_one_line_with_its_token_hidden(api: Api) -> None:
    """An access log must not hand out working unsubscribe links; the query is left out too."""
    token = make_token(SIGNING_SECRET, "unsubscribe", "reg-1")
    with capture_logs() as logs:
        api.client.get(f"/unsubscribe/{token}?utm=mail")
        api.client.get("/healthz")
    lines = [entry for entry in logs if entry["event"] == "http_request"]
    assert [(e["method"], e["path"], e["status"]) for e in lines] == [
        ("GET", "/unsubscribe/***", 200),
        ("GET", "/healthz", 200),
    ]
    assert all(isinstance(e["duration_ms"], float) and e["duration_ms"] >= 0 for e in lines)
    assert token not in repr(logs)


def test_token_like_path_segments_are_hidden_and_plain_ones_kept() -> None:
    """Routes added later may carry tokens too; ids and slugs stay readable."""
    assert redact_path("/confirm/abc.def") == "/confirm/***"
    assert redact_path("/api/v1/events/ccpcj-32-gitoc/sessions/opening/deliveries") == (
        "/api/v1/events/ccpcj-32-gitoc/sessions/opening/deliveries"
    )
    assert redact_path("/x/eyJhbGciOiJIUzI1NiJ9.payload/y") == "/x/***/y"


def test_metrics_include_the_default_process_platform_and_gc_collectors() -> None:
    """Memory, CPU, open files and GC pauses are how a leak or a stuck loop shows first."""
    text = make_metrics().render().decode()
    for name in ("python_info", "python_gc_collections_total"):
        assert f"\n{name}" in text or text.startswith(name), name
    assert "process_resident_memory_bytes" in text  # Linux: read from /proc
    assert "process_open_fds" in text
