"""Registrations and the delivery log: Redis in production, SQLite as the embedded default.

:func:`open_store` picks the backend from a URL, the way settings give it:

- ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db`` (SQLAlchemy's spelling,
  which APScheduler's job store uses for the same file);
- ``redis://[:password@]host:port/db`` or ``rediss://…`` (TLS);
- ``redis+cluster://[:password@]host:port[,host:port…]`` or ``rediss+cluster://…``: a Redis
  Cluster, found from any of the nodes named. The Redis store connects lazily: open it
  before the server is up, and call :meth:`~Store.ping` to check it.
"""

from __future__ import annotations

from pathlib import Path

from notifier.errors import StoreError
from notifier.store.base import Store
from notifier.store.redis import RedisStore, open_redis_store
from notifier.store.sqlite import SqliteStore, open_sqlite_store

__all__ = [
    "RedisStore",
    "SqliteStore",
    "Store",
    "open_redis_store",
    "open_sqlite_store",
    "open_store",
]

SQLITE_PREFIX = "sqlite:///"
SQLITE_FORMS = "sqlite:///relative/path.db or sqlite:////absolute/path.db"
ACCEPTED = (
    f"{SQLITE_FORMS}, redis://host:port/db, rediss://host:port/db"
    " or redis+cluster://host:port[,host:port…]"
)
REDIS_SCHEMES = ("redis", "rediss", "redis+cluster", "rediss+cluster")


async def open_store(url: str) -> Store:
    """The store ``url`` names; :class:`StoreError` for a scheme or path it cannot use."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme in REDIS_SCHEMES:
        return open_redis_store(url)
    if scheme != "sqlite":
        # only the scheme is echoed: the rest of a URL may hold a password
        named = f"scheme {scheme!r}" if scheme else "no scheme"
        raise StoreError(f"store url has {named}; accepted: {ACCEPTED}")
    path = url[len(SQLITE_PREFIX) :]
    if not url.lower().startswith(SQLITE_PREFIX) or not path:
        raise StoreError(f"store url {url!r} names no file; write {SQLITE_FORMS}")
    return await open_sqlite_store(Path(path))
