"""Service settings: ``NOTIFIER_*`` environment variables and an optional ``.env`` file.

Loaded once by the CLI and passed down; nothing reads the environment elsewhere. Misspelt
``NOTIFIER_`` variables are errors (a silently ignored ``NOTIFIER_SMTP_HOTS`` would send mail
to the outbox folder instead of the SMTP server). Secrets are ``SecretStr`` and every URL that
may hold a password is shown through :func:`redact_url`.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from notifier.errors import SettingsError

PREFIX = "NOTIFIER_"
# HMAC-SHA256 keys shorter than its 32-byte output make every signed link easier to forge
MIN_SECRET_BYTES = 32
KEY_FILE = "signing.key"
# words of sample secrets (docker-compose.yml's old default, tutorials): never in a real one
PLACEHOLDER_WORDS = (
    "change-me",
    "changeme",
    "change_me",
    "placeholder",
    "never-for-production",
    "example",
    "insecure",
    "dummy",
    "your-secret",
    "replace-me",
)
MIN_DISTINCT_CHARS = 8  # `openssl rand -base64 32` has ~25; "aaaa…" or "0101…" has 1 or 2
# query parameters a store URL may carry a password in (redis-py reads ?password=)
SECRET_QUERY_NAMES = ("password", "passwd", "pwd", "secret", "token")


class Settings(BaseSettings):
    """Every setting, its default, and its meaning (the README's table is made from these)."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_nested_delimiter="__", env_file=".env", extra="forbid"
    )

    config: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path("config/events")],
        description="Event config files or folders, comma-separated.",
    )
    data_dir: Path = Field(Path("data"), description="Folder for the embedded store and outbox.")
    store_url: str | None = Field(
        None,
        description="redis://[:password@]host:port/db, rediss://…, "
        "redis+cluster://[:password@]host:port[,host:port…] (Redis Cluster), or "
        "sqlite:///path (default: sqlite:///<data_dir>/notifier.db).",
    )
    email_backend: Literal["smtp", "file"] | None = Field(
        None, description="smtp or file (default: smtp when smtp_host is set, else file)."
    )
    outbox_dir: Path | None = Field(None, description="Outbox folder (default <data_dir>/outbox).")
    smtp_host: str | None = Field(None, description="SMTP server host name.")
    smtp_port: int | None = Field(
        None, ge=1, le=65535, description="Default: 587 (starttls), 465 (tls), 25 (none)."
    )
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        "starttls", description="none, starttls or tls (implicit TLS)."
    )
    smtp_username: str | None = Field(None, description="SMTP AUTH user name.")
    smtp_password: SecretStr | None = Field(None, description="SMTP AUTH password (secret).")
    smtp_from: str = Field(
        "Event reminders <reminders@example.org>", description="From address of reminder emails."
    )
    smtp_timeout_s: float = Field(30.0, gt=0, description="Deadline for each SMTP operation.")
    smtp_pool_size: int = Field(4, ge=1, le=64, description="SMTP connections kept open.")
    public_base_url: AnyHttpUrl = Field(
        AnyHttpUrl("http://localhost:8000"), description="Base URL for links in reminders."
    )
    signing_secret: SecretStr | None = Field(
        None,
        description="Secret for signing links, at least 32 bytes (default: generated once into "
        "<data_dir>/signing.key; required with Redis, shared by all replicas).",
    )
    confirm_link_max_age_s: int = Field(
        7 * 86400,
        ge=60,
        description="How long a confirmation link works (unsubscribe links do not expire).",
    )
    http_host: str = Field("127.0.0.1", description="Address the HTTP API listens on.")
    http_port: int = Field(8000, ge=0, le=65535, description="HTTP API port (0: disabled).")
    http_max_body_bytes: int = Field(
        65536, ge=1024, description="Largest request body the HTTP API reads (else 413)."
    )
    organizer_token: SecretStr | None = Field(
        None, description="Bearer token for the organizer endpoints (unset: they answer 401)."
    )
    webhook_timeout_s: float = Field(10.0, gt=0, description="Deadline for each webhook POST.")
    webhook_allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CIDRs webhooks may reach despite the private-address guard, "
        "comma-separated (e.g. 10.0.0.0/8 for a private deployment).",
    )
    # abuse limits: the service mails and POSTs on behalf of strangers (docs/security.md)
    public_post_limit: int = Field(
        20, ge=1, description="Public POSTs one client may make per public_post_window_s."
    )
    public_post_window_s: int = Field(60, ge=1, description="Window of public_post_limit.")
    confirmation_cooldown_s: int = Field(
        900, ge=1, description="At most one confirmation email per address and event this often."
    )
    confirmation_daily_max: int = Field(
        5, ge=1, description="At most this many confirmation emails per address a day."
    )
    pending_expiry_s: int = Field(
        48 * 3600, ge=60, description="Unconfirmed registrations are deleted after this long."
    )
    webhook_host_daily_max: int = Field(
        20, ge=1, description="New webhook registrations per destination host a day."
    )
    send_concurrency: int = Field(20, ge=1, le=1000, description="Deliveries in flight at once.")
    max_attempts: int | None = Field(
        None, ge=1, le=1000, description="Cap on attempts per delivery; none: until the start."
    )
    claim_lease_s: float = Field(
        60.0, gt=0, le=3600, description="A claim not renewed this long is taken over."
    )
    leader_lease_s: float = Field(
        15.0,
        gt=0,
        le=600,
        description="Redis: the scheduler's leader lease; renewed every third of it, and taken"
        " over by another replica this long after its holder stops renewing.",
    )
    chunk_size: int = Field(
        500,
        ge=1,
        le=10_000,
        description="Registrations per chunk of a shared fan-out, and per page read and claimed.",
    )
    work_poll_s: float = Field(
        1.0,
        gt=0,
        le=4,
        description="How long a replica waits for new chunks, and how often it looks for"
        " chunks a dead replica left (idle for 2 x claim_lease_s).",
    )
    prepare_ahead_s: float = Field(
        2.0,
        ge=0,
        le=60,
        description="Reminder jobs fire this long before their due instant: the fan-out is"
        " begun, the first page claimed and composed, and each send waits for the instant;"
        " 0 turns it off. At most a quarter of claim_lease_s is used.",
    )
    retry_base_s: float = Field(2.0, gt=0, description="First retry delay; doubles each time.")
    retry_max_s: float = Field(300.0, gt=0, description="Longest retry delay.")
    config_debounce_ms: int = Field(500, ge=0, description="Wait for edits to settle.")
    reconcile_interval_s: float = Field(60.0, gt=0, description="Catch-up check period.")
    reconcile_lookback_s: float = Field(
        7 * 86400.0,
        gt=0,
        description="How far back a start-up catch-up looks for missed reminders.",
    )
    redis_allow_volatile: bool = Field(
        False,
        description="Accept a Redis store without AOF (appendonly no): for trials only, a"
        " restart of such a Redis loses every registration.",
    )
    max_clock_skew_s: float = Field(
        5.0, gt=0, description="Largest gap between this host's clock and the store's (Redis)."
    )
    shutdown_timeout_s: float = Field(20.0, gt=0, description="Time to finish in-flight sends.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Level.")
    log_format: Literal["json", "console"] = Field("json", description="json or console.")

    @field_validator("config", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(p.strip()) for p in value.split(",") if p.strip()]
        return value

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for text in value:
            ipaddress.ip_network(text, strict=False)  # ValueError names the bad one
        return value

    @field_validator("signing_secret")
    @classmethod
    def _check_secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"must be at least {MIN_SECRET_BYTES} bytes; make one with "
                "`openssl rand -base64 32`"
            )
        return value

    @model_validator(mode="after")
    def _no_placeholder_secret_in_public(self) -> Settings:
        """A secret anyone can read in docker-compose.yml or a tutorial signs links anyone can
        forge: fine on this machine's loopback, refused once the API is reachable from others."""
        secret = self.signing_secret
        if secret is None or not self.http_port or is_loopback(self.http_host):
            return self
        if why := weak_secret(secret.get_secret_value()):
            raise ValueError(
                f"NOTIFIER_SIGNING_SECRET {why}, and the HTTP API listens on {self.http_host}, "
                "beyond this machine: set a random one (`openssl rand -base64 32`)"
            )
        return self

    @property
    def resolved_store_url(self) -> str:
        return self.store_url or f"sqlite:///{self.data_dir / 'notifier.db'}"

    @property
    def resolved_email_backend(self) -> Literal["smtp", "file"]:
        if self.email_backend is not None:
            return self.email_backend
        return "smtp" if self.smtp_host else "file"

    @property
    def resolved_outbox_dir(self) -> Path:
        return self.outbox_dir or self.data_dir / "outbox"

    @property
    def resolved_smtp_port(self) -> int:
        return self.smtp_port or {"starttls": 587, "tls": 465, "none": 25}[self.smtp_tls]

    @property
    def uses_redis(self) -> bool:
        return self.resolved_store_url.startswith(
            ("redis://", "rediss://", "redis+cluster://", "rediss+cluster://")
        )


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1``, ``localhost``: reachable from this machine only."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name (or 0.0.0.0's spellings): assume others can reach it


def weak_secret(value: str) -> str | None:
    """Why ``value`` is a placeholder or guessable (a word from a sample file, one character
    repeated), or None. Length is checked apart (``MIN_SECRET_BYTES``)."""
    lowered = value.lower()
    if word := next((w for w in PLACEHOLDER_WORDS if w in lowered), None):
        return f'looks like a placeholder (it contains "{word}")'
    if len(set(value)) < MIN_DISTINCT_CHARS:
        return f"uses fewer than {MIN_DISTINCT_CHARS} different characters"
    return None


def redact_url(url: str) -> str:
    """The URL with any password (``:pw@`` or ``?password=``) as ``***``: for logs and errors."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    hidden_query = any(_secret_name(name) for name, _ in pairs)
    if parts.password is None and not hidden_query:
        return url  # untouched: urlunsplit would respell some URLs (sqlite:///…)
    if parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = f"{parts.username}:***@" if parts.username else ":***@"
        parts = parts._replace(netloc=user + netloc)
    if hidden_query:
        shown = [(n, "***" if _secret_name(n) else v) for n, v in pairs]
        parts = parts._replace(query=urlencode(shown, safe="*"))
    return urlunsplit(parts)


def _secret_name(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_QUERY_NAMES)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from the environment (and ``.env``), refusing unknown ``NOTIFIER_`` names."""
    env = os.environ if environ is None else environ
    known = {PREFIX + name.upper() for name in Settings.model_fields}
    for name in env:
        # pydantic-settings matches names in any case, and no setting is nested (no "__")
        if name.upper().startswith(PREFIX) and name.upper() not in known:
            close = difflib.get_close_matches(name.upper(), sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise SettingsError(f"unknown setting {name}{hint}")
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]  # pydantic-settings kwargs
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None  # no chained input values: may be secret
    if settings.uses_redis and settings.signing_secret is None:
        raise SettingsError(
            "NOTIFIER_SIGNING_SECRET is required with a Redis store: every replica must sign "
            "links with the same secret"
        )
    return settings


def _describe(exc: ValidationError) -> str:
    """Which settings are wrong and why, without echoing their values."""
    lines = []
    for error in exc.errors(include_input=False):
        name = "_".join(str(p) for p in error["loc"]).upper()
        if not name:  # a rule across settings: its message names them itself
            lines.append(error["msg"].removeprefix("Value error, "))
            continue
        name = name if name.startswith(PREFIX) else PREFIX + name  # .env names carry it
        lines.append(f"{name}: {error['msg']}")
    return "; ".join(lines)


def signing_secret(settings: Settings) -> str:
    """The link-signing secret: the setting, or one generated once into the data folder.

    The key file must be private (no group or other permission bits) and hold at least
    :data:`MIN_SECRET_BYTES`; anything else is refused with what to do, never used.
    """
    if settings.signing_secret is not None:
        return settings.signing_secret.get_secret_value()
    path = settings.data_dir / KEY_FILE
    if path.exists():
        return _read_key_file(path)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(MIN_SECRET_BYTES)
    if not _write_new_key_file(path, value):  # another process made it first: use theirs
        return _read_key_file(path)
    return value


def _read_key_file(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SettingsError(
            f"{path} is readable or writable by other users (mode {mode:04o}): anyone who "
            f"reads it can forge links; run `chmod 600 {path}`"
        )
    value = path.read_text(encoding="utf-8").strip()
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(
            f"{path} holds {len(value.encode())} bytes, fewer than {MIN_SECRET_BYTES}: links "
            "signed with it could be forged; delete it to have a new one made (links already "
            "sent stop working) or set NOTIFIER_SIGNING_SECRET"
        )
    return value


def _write_new_key_file(path: Path, value: str) -> bool:
    """Write ``path`` whole or not at all; False if it exists already (left as it is).

    The key goes to a private temporary file, is fsynced, then linked into place: a crash
    leaves no empty or half-written key, and ``link`` (unlike ``rename``) never replaces a
    key that a process starting at the same moment made and may already sign with.
    """
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        _fsync_folder(path.parent)  # the new name survives a power cut too
        return True
    finally:
        os.unlink(temporary)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
