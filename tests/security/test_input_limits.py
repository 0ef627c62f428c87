"""Hostile HTTP input and what the API gives back: bodies, numbers, addresses, redirects, headers.

Every refusal must be a 4xx that stores nothing and mails nothing (a 500 used to leave a
pending registration behind). The API runs in process with a real SQLite store, the file
outbox and the real webhook address guard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from tests.support.api import CCPCJ, PUBLIC_BASE_URL, Api
from tests.support.tally import Tally

REGISTER_URL = f"/api/v1/events/{CCPCJ}/registrations"

PUBLIC_WEBHOOK = "https://93.184.215.14/hooks/notifier"  # a public address: no DNS, no request


def _nothing_stored(served: Api) -> bool:
    stored = served.run(served.store.list_registrations, None)
    return not stored and not served.outbox_messages()


# request bodies


def _chunks(total: int) -> Iterator[bytes]:
    """A JSON body sent without Content-Length (chunked), ``total`` bytes long."""
    yield b'{"email": "big@example.org", "timezone": "UTC", "sessions": ["'
    sent = 64
    while sent < total:
        yield b"x" * 4096
        sent += 4096
    yield b'"]}'


def test_request_bodies_over_the_limit_are_refused_413(
    client: TestClient, served: Api, tally: Tally
) -> None:
    """Without a limit one request makes the service read and parse any number of megabytes."""
    limit = served.app.setup.settings().http_max_body_bytes
    padding = "x" * (limit + 1)
    json_body = f'{{"email": "big@example.org", "timezone": "UTC", "sessions": ["{padding}"]}}'
    attempts: dict[str, Callable[[], httpx.Response]] = {
        "json, Content-Length": lambda: client.post(
            REGISTER_URL, content=json_body, headers={"content-type": "application/json"}
        ),
        "json, chunked": lambda: client.post(
            REGISTER_URL, content=_chunks(2 * limit), headers={"content-type": "application/json"}
        ),
        "form": lambda: client.post(
            f"/events/{CCPCJ}/register",
            data={"email": "big@example.org", "timezone": "UTC", "webhook_url": padding},
        ),
        "unsubscribe form": lambda: client.post("/unsubscribe/x", data={"x": padding}),
    }
    for name, send in attempts.items():
        response = send()
        tally.record("request body over the limit", response.status_code == 413)
        assert response.status_code == 413, (name, response.status_code, response.text[:200])
        assert response.json()["detail"].startswith("the request body is larger than")
    assert _nothing_stored(served)


def test_a_body_within_the_limit_is_read_as_usual(client: TestClient, served: Api) -> None:
    """The limit is for abuse: a real registration, even padded with spaces, must go through."""
    body = '{"email": "fits@example.org", "timezone": "UTC"}'
    padded = body + " " * (served.app.setup.settings().http_max_body_bytes - len(body))
    response = client.post(
        REGISTER_URL, content=padded, headers={"content-type": "application/json"}
    )
    assert response.status_code == 202, response.text


NON_FINITE = {
    "NaN-email": '{"email": NaN, "timezone": "UTC"}',
    "Infinity-timezone": '{"email": "n@example.org", "timezone": Infinity}',
    "minus-Infinity-session": '{"timezone": "UTC", "sessions": [-Infinity], "email": "n@x.org"}',
    "NaN-attendance": '{"email": "n@example.org", "timezone": "UTC", "attendance": NaN}',
    "NaN-webhook": '{"webhook_url": NaN, "timezone": "UTC"}',
    "NaN-nested": '{"email": "n@example.org", "timezone": "UTC", "sessions": [[NaN]]}',
    "NaN-unknown-field": '{"email": "n@example.org", "timezone": "UTC", "extra": NaN}',
}


def test_nan_and_infinity_in_json_are_422_and_store_nothing(
    client: TestClient, served: Api, tally: Tally
) -> None:
    """Python's JSON parser accepts NaN; echoing it in the 422 body was a 500."""
    for name, body in NON_FINITE.items():
        response = client.post(
            REGISTER_URL, content=body, headers={"content-type": "application/json"}
        )
        tally.record("NaN/Infinity in JSON", response.status_code == 422)
        assert response.status_code == 422, (name, response.text)
        assert response.json()["detail"]  # strict JSON again, field named
    assert _nothing_stored(served)


# addresses

REFUSED_ADDRESSES = {
    "chinese-local-part-and-idn": "用户@例子.广告",
    "full-width-local-part": "ａｌｉｃｅ@example.org",
    "one-full-width-letter": "Ａlice@example.org",
    "latin-accent": "zoë@example.org",
    "cyrillic-lookalike": "аlice@example.org",
    "zero-width-space": "ali\u200bce@example.org",
    "full-width-at-sign": "alice＠example.org",
    "encoded-word-q": "=?utf-8?q?=E7=94=A8?=@example.org",
    "encoded-word-b": "=?UTF-8?B?5L2g5aW9?=@example.org",
    "encoded-word-inside": "a=?iso-8859-1?q?=E9?=b@example.org",
}


@pytest.mark.parametrize("address", REFUSED_ADDRESSES.values(), ids=REFUSED_ADDRESSES.keys())
def test_internationalised_and_encoded_addresses_are_422_and_store_nothing(
    client: TestClient, served: Api, tally: Tally, address: str
) -> None:
    """SMTPUTF8 is not supported end to end, so such an address could never be mailed; it was a
    500 that left a pending registration behind."""
    api = client.post(REGISTER_URL, json={"email": address, "timezone": "UTC"})
    form = client.post(f"/events/{CCPCJ}/register", data={"email": address, "timezone": "UTC"})
    for response in (api, form):
        tally.record("internationalised / encoded-word address", response.status_code == 422)
        assert response.status_code == 422, response.text[:300]
    assert api.json()["detail"][0]["loc"] == ["body", "email"]
    assert _nothing_stored(served)


def test_full_width_letters_get_the_ascii_spelling_as_a_hint(client: TestClient) -> None:
    """The participant typed with a full-width keyboard; show them what to type instead."""
    response = client.post(
        REGISTER_URL, json={"email": "ａｌｉｃｅ@example.org", "timezone": "UTC"}
    )
    assert "did you mean alice@example.org?" in response.json()["detail"][0]["msg"]


def test_an_internationalised_domain_is_stored_and_mailed_in_ascii(
    client: TestClient, served: Api
) -> None:
    """alice@例子.广告 needs no SMTPUTF8: its domain has an ASCII form (IDNA) that any server
    takes, and one form keeps one registration per address."""
    response = client.post(REGISTER_URL, json={"email": "alice@例子.广告", "timezone": "UTC"})
    assert response.status_code == 202, response.text
    [stored] = served.run(served.store.list_registrations)
    assert stored.email == "alice@xn--fsqu00a.xn--4rr70v"
    (mail,) = served.outbox_messages()
    assert str(mail["To"]) == "alice@xn--fsqu00a.xn--4rr70v"
    again = client.post(
        REGISTER_URL, json={"email": "alice@xn--fsqu00a.xn--4rr70v", "timezone": "UTC"}
    )
    assert again.status_code == 202
    assert served.run(served.store.list_registrations) == [stored]


# redirects, pages and headers

HOSTS = [
    "evil.example",
    "evil.example:8443",
    "reminders.example.org.evil.example",
    "reminders.example.org@evil.example",
    "[::1]:8000",
    "evil.example/x?",
]
SLASHED = ["/api/v1/events/", f"/api/v1/events/{CCPCJ}/", "/healthz/", f"/events/{CCPCJ}/"]


def test_trailing_slash_redirects_go_to_the_public_base_url_whatever_the_host_header(
    client: TestClient, tally: Tally
) -> None:
    """The Host header is the client's to set: a redirect built from it sends people anywhere."""
    for path in SLASHED:
        for host in HOSTS:
            for extra in ({}, {"x-forwarded-host": host}):
                response = client.get(
                    path + "?tz=Asia/Tokyo",
                    headers={"host": host, **extra},
                    follow_redirects=False,
                )
                location = response.headers.get("location", "")
                expected = f"{PUBLIC_BASE_URL}{path.rstrip('/')}?tz=Asia/Tokyo"
                tally.record("Host header in a redirect", location == expected)
                assert response.status_code == 307, (path, host)
                assert location == expected, (path, host, location)


def test_unknown_paths_stay_404_and_are_not_redirected(client: TestClient) -> None:
    """Only a known route gets a redirect; anything else is a plain 404."""
    for path in ("/nowhere/", "/api/v1//events/", "/api/v1/nothing/", "/confirm/"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 404, (path, response.headers.get("location"))


def test_no_page_loads_scripts_or_styles_from_another_site(
    client: TestClient, tally: Tally
) -> None:
    """/docs pulled Swagger UI from a CDN: whoever controls it could run script on our origin."""
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        response = client.get(path)
        tally.record("page loading a CDN", response.status_code == 404)
        assert response.status_code == 404, path
    assert client.get("/openapi.json").status_code == 200  # the API description stays
    for path in ("/", f"/events/{CCPCJ}", f"/events/{CCPCJ}?tz=Asia/Tokyo"):
        page = client.get(path).text
        offsite = [m for m in ('src="http', "src='http", 'href="http') if m in page]
        stylesheet_or_script = [m for m in offsite if "src" in m]
        tally.record("page loading a CDN", not stylesheet_or_script)
        assert not stylesheet_or_script, (path, offsite)


def test_json_responses_say_nosniff(client: TestClient, tally: Tally) -> None:
    """JSON that echoes input must never be sniffed into HTML or script by a browser."""
    responses = [
        client.get("/healthz"),
        client.get("/readyz"),
        client.get("/openapi.json"),
        client.get("/api/v1/events"),
        client.get(f"/api/v1/events/{CCPCJ}?tz=Asia/Tokyo"),
        client.get("/api/v1/events/<script>alert(1)</script>"),
        client.post(REGISTER_URL, json={"email": "<script>", "timezone": "UTC"}),
        client.post(REGISTER_URL, content="{", headers={"content-type": "application/json"}),
        client.delete("/api/v1/events"),
        client.get("/no-such-page"),
    ]
    for response in responses:
        nosniff = response.headers.get("x-content-type-options") == "nosniff"
        tally.record("response without nosniff", nosniff)
        assert nosniff, (response.request.url, response.status_code)


def test_the_registration_answer_is_never_cached(client: TestClient, tally: Tally) -> None:
    """An answer about someone's address must not stay in a shared cache or the browser's."""
    response = client.post(REGISTER_URL, json={"webhook_url": PUBLIC_WEBHOOK, "timezone": "UTC"})
    assert response.status_code == 202, response.text
    assert "webhook_secret" not in response.json()  # the secret goes to the receiver only
    no_store = response.headers.get("cache-control") == "no-store"
    tally.record("registration answer cacheable", no_store)
    assert no_store
