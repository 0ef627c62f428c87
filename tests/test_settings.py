"""Settings: defaults, parsing, refusing misspelt names, and keeping secrets out of output.

Tests build ``Settings(...)`` directly. ``load_settings(environ=...)`` checks only the mapping it
is given for unknown names; its field values still come from the process environment, so the
``isolated`` fixture removes any ``NOTIFIER_`` variable the host happens to set (restoring
isolation, not configuring) and moves into an empty folder so no ``.env`` file is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from notifier.errors import NotifierError, SettingsError
from notifier.settings import PREFIX, Settings, load_settings, redact_url, signing_secret

# made-up secrets; the tests check they never show up in errors or reprs
FAKE_SMTP_PW = "hunter2"
FAKE_SIGNING_KEY = "sign-me-s3cret-of-at-least-32-bytes"
SHARED_KEY = "shared-k3y-every-replica-signs-with"


def _from_text(**values: str) -> Settings:
    """Settings from text values, as environment variables always are; pydantic parses them."""
    raw: dict[str, Any] = values
    return Settings(**raw)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No host NOTIFIER_ variables and no .env: every test sees only what it passes."""
    for name in list(os.environ):
        if name.upper().startswith(PREFIX):  # pydantic-settings matches names in any case
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    assert not [name for name in os.environ if name.upper().startswith(PREFIX)]
    assert not (tmp_path / ".env").exists()
    return tmp_path


# defaults


def test_default_store_is_sqlite_file_under_data_dir() -> None:
    """With nothing configured the service must run on the embedded store, no Redis needed."""
    assert Settings().resolved_store_url == "sqlite:///data/notifier.db"
    settings = Settings(data_dir=Path("/srv/notifier"))
    assert settings.resolved_store_url == "sqlite:////srv/notifier/notifier.db"
    assert settings.resolved_outbox_dir == Path("/srv/notifier/outbox")
    assert not settings.uses_redis


def test_configured_store_url_wins_over_data_dir() -> None:
    """An operator's explicit store must be used, not the embedded default."""
    settings = Settings(data_dir=Path("/srv/notifier"), store_url="sqlite:////var/lib/n.db")
    assert settings.resolved_store_url == "sqlite:////var/lib/n.db"


def test_email_backend_is_file_without_smtp_host() -> None:
    """Without a server, reminders go to the outbox folder instead of failing to connect."""
    assert Settings().resolved_email_backend == "file"


def test_email_backend_is_smtp_once_smtp_host_is_set() -> None:
    """Setting a host alone must switch to real sending; nobody should also need a flag."""
    assert Settings(smtp_host="mail.example.org").resolved_email_backend == "smtp"


def test_explicit_email_backend_overrides_the_smtp_host_default() -> None:
    """A staging box may keep the SMTP host configured but write to the outbox."""
    settings = Settings(smtp_host="mail.example.org", email_backend="file")
    assert settings.resolved_email_backend == "file"


@pytest.mark.parametrize(
    ("tls", "port"),
    [("starttls", 587), ("tls", 465), ("none", 25)],
    ids=["starttls-submission", "implicit-tls-smtps", "plain-smtp"],
)
def test_default_smtp_port_follows_tls_mode(tls: str, port: int) -> None:
    """Implicit TLS on 587 (or STARTTLS on 465) hangs the handshake until the deadline."""
    assert _from_text(smtp_tls=tls).resolved_smtp_port == port


def test_explicit_smtp_port_overrides_the_tls_default() -> None:
    """Providers on non-standard ports (2525) must be reachable."""
    assert Settings(smtp_tls="tls", smtp_port=2525).resolved_smtp_port == 2525


# parsing values as they come from the environment (strings)


def test_string_values_are_parsed_to_their_types() -> None:
    """Environment variables are always text; numbers and paths must come out typed."""
    settings = _from_text(
        smtp_port="2525",
        smtp_timeout_s="7.5",
        data_dir="/srv/notifier-data",
        max_attempts="3",
        smtp_password=FAKE_SMTP_PW,
    )
    assert settings.smtp_port == 2525
    assert settings.smtp_timeout_s == 7.5
    assert settings.data_dir == Path("/srv/notifier-data")
    assert settings.max_attempts == 3
    assert isinstance(settings.smtp_password, SecretStr)
    assert settings.smtp_password.get_secret_value() == FAKE_SMTP_PW


def test_config_comma_separated_string_becomes_a_list_of_paths() -> None:
    """NOTIFIER_CONFIG names several files or folders in one variable; spaces are trimmed."""
    assert _from_text(config="a.yaml, b").config == [Path("a.yaml"), Path("b")]
    assert _from_text(config="only.yaml,").config == [Path("only.yaml")]
    assert Settings().config == [Path("config/events")]


@pytest.mark.parametrize(
    "overrides",
    [
        {"smtp_tls": "ssl"},
        {"smtp_port": "70000"},
        {"email_backend": "sendmail"},
        {"max_attempts": "0"},
        {"public_base_url": "not a url"},
    ],
    ids=["tls-mode", "port-range", "backend", "attempts", "base-url"],
)
def test_out_of_range_or_unknown_values_are_refused(overrides: dict[str, str]) -> None:
    """A typo in a value must stop start-up, not silently pick some other behaviour."""
    with pytest.raises(ValidationError):
        _from_text(**overrides)


# unknown names


def test_known_notifier_names_pass_the_unknown_name_check() -> None:
    """Correct names (and unrelated variables) must not be refused."""
    settings = load_settings(
        environ={"NOTIFIER_SMTP_HOST": "mail.example.org", "NOTIFIER_CONFIG": "x", "HOME": "/h"}
    )
    assert isinstance(settings, Settings)


def test_misspelt_variable_is_refused_with_a_suggestion() -> None:
    """A silently ignored NOTIFIER_SMTP_HOTS would send mail to the outbox folder instead."""
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"NOTIFIER_SMTP_HOTS": "mail.example.org"})
    message = str(caught.value)
    assert "NOTIFIER_SMTP_HOTS" in message
    assert "did you mean NOTIFIER_SMTP_HOST?" in message
    assert isinstance(caught.value, NotifierError)
    assert isinstance(caught.value, ValueError)


def test_misspelt_lowercase_variable_is_refused_too() -> None:
    """pydantic-settings reads names in any case, so lowercase typos must be refused as well."""
    with pytest.raises(SettingsError, match="NOTIFIER_SMTP_HOST"):
        load_settings(environ={"notifier_smtp_hots": "mail.example.org"})


def test_double_underscore_suffix_on_a_known_name_is_refused() -> None:
    """No setting is nested, so NOTIFIER_SMTP_HOST__X would be dropped without a word."""
    with pytest.raises(SettingsError, match="NOTIFIER_SMTP_HOST__X"):
        load_settings(environ={"NOTIFIER_SMTP_HOST__X": "mail.example.org"})


def test_misspelt_name_in_dotenv_file_is_named_once_with_its_prefix(isolated: Path) -> None:
    """The .env file is read too; the error must name the variable as the operator wrote it."""
    (isolated / ".env").write_text("NOTIFIER_SMTP_HOTS=mail.example.org\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={})
    message = str(caught.value)
    assert "NOTIFIER_SMTP_HOTS" in message
    assert "NOTIFIER_NOTIFIER_" not in message


# Redis needs a shared signing secret


def test_redis_store_without_signing_secret_is_refused() -> None:
    """Replicas with their own generated keys would reject each other's signed links."""
    with pytest.raises(SettingsError, match="NOTIFIER_SIGNING_SECRET is required"):
        load_settings(environ={}, store_url="redis://127.0.0.1:6379/0")
    with pytest.raises(SettingsError, match="NOTIFIER_SIGNING_SECRET is required"):
        load_settings(environ={}, store_url="rediss://cache.example.org:6380/1")


def test_redis_store_with_signing_secret_is_accepted() -> None:
    """The documented production setup must load."""
    settings = load_settings(
        environ={}, store_url="redis://127.0.0.1:6379/0", signing_secret=SHARED_KEY
    )
    assert settings.uses_redis


def test_signing_secret_refusal_does_not_echo_the_redis_password() -> None:
    """Start-up errors end up in logs and CI output; the store password must not."""
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={}, store_url="redis://:hunter2@127.0.0.1:6379/0")
    assert "hunter2" not in str(caught.value)


# secrets stay secret


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@h:6379/0", "redis://:***@h:6379/0"),
        ("rediss://user:pw@h/1", "rediss://user:***@h/1"),
        ("redis://:p@ss@h:6379/0", "redis://:***@h:6379/0"),
    ],
    ids=["password-only", "user-and-password", "at-sign-in-password"],
)
def test_redact_url_hides_the_password(url: str, shown: str) -> None:
    """Store URLs are logged at start-up; the password part must never be."""
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "redis://h:6379/0",
        "rediss://user@h/1",
        "sqlite:////var/lib/notifier.db",
        "sqlite:///data/notifier.db",
    ],
    ids=["no-userinfo", "user-only", "sqlite-absolute", "sqlite-relative"],
)
def test_redact_url_leaves_password_less_urls_alone(url: str) -> None:
    """Redaction must not mangle the URL an operator needs to recognise."""
    assert redact_url(url) == url


def test_invalid_smtp_port_error_names_the_variable_and_no_secret() -> None:
    """The operator must learn which variable is wrong, without the error leaking a password."""
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={}, smtp_port="x", smtp_password=FAKE_SMTP_PW)
    message = str(caught.value)
    assert "NOTIFIER_SMTP_PORT" in message
    assert FAKE_SMTP_PW not in message
    assert "'x'" not in message  # values are not echoed at all
    # raised `from None`: a traceback must not show pydantic's error with the inputs either
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_secrets_do_not_appear_in_repr_or_str() -> None:
    """Settings get logged and printed in debuggers; SecretStr keeps the values out."""
    settings = _from_text(smtp_password=FAKE_SMTP_PW, signing_secret=FAKE_SIGNING_KEY)
    for shown in (repr(settings), str(settings)):
        assert FAKE_SMTP_PW not in shown
        assert FAKE_SIGNING_KEY not in shown
    assert settings.signing_secret is not None
    assert settings.signing_secret.get_secret_value() == FAKE_SIGNING_KEY


# signing secret


def test_signing_secret_is_generated_once_into_a_private_key_file(tmp_path: Path) -> None:
    """Links signed before a restart must still verify; other users must not read the key."""
    data_dir = tmp_path / "fresh" / "data"
    settings = Settings(data_dir=data_dir)
    first = signing_secret(settings)
    key_file = data_dir / "signing.key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert key_file.read_text(encoding="utf-8").strip() == first
    assert signing_secret(settings) == first
    assert signing_secret(Settings(data_dir=data_dir)) == first  # a restart: a new Settings
    assert list(data_dir.iterdir()) == [key_file]


def test_signing_secret_setting_is_used_and_no_key_file_is_written(tmp_path: Path) -> None:
    """With a configured secret (required for Redis), every replica must use exactly it."""
    settings = Settings(data_dir=tmp_path / "data", signing_secret=SecretStr(SHARED_KEY))
    assert signing_secret(settings) == SHARED_KEY
    assert not (tmp_path / "data" / "signing.key").exists()


PLACEHOLDER = "change-me-local-trial-only-never-for-production"  # the old sample


def test_a_placeholder_secret_is_refused_once_the_api_listens_beyond_loopback() -> None:
    """A sample secret from a compose file signs links anyone can forge; on loopback only
    this machine can reach the API, so trials there keep working."""
    everywhere = "0.0.0.0"  # noqa: S104  # listening on every interface is the case under test
    placeholder_error = r"^NOTIFIER_SIGNING_SECRET looks like a placeholder"
    with pytest.raises(SettingsError, match=placeholder_error) as refused:
        load_settings(environ={}, http_host=everywhere, signing_secret=PLACEHOLDER)
    assert PLACEHOLDER not in str(refused.value)
    assert "openssl rand" in str(refused.value)
    with pytest.raises(SettingsError, match="different characters"):
        load_settings(environ={}, http_host="10.0.0.5", signing_secret="ab" * 20)
    assert load_settings(environ={}, http_host="127.0.0.1", signing_secret=PLACEHOLDER)
    assert load_settings(environ={}, http_host="::1", signing_secret=PLACEHOLDER)
    assert load_settings(
        environ={},
        http_host=everywhere,
        http_port=0,
        signing_secret=PLACEHOLDER,
    )
    strong = load_settings(environ={}, http_host=everywhere, signing_secret=SHARED_KEY)
    assert strong.signing_secret is not None
