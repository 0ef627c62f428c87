"""Which addresses a webhook may reach: the guard against server-side request forgery.

A webhook URL is whatever a participant typed. Unguarded, the service would POST to its own
Redis, to the cloud metadata service at 169.254.169.254, or to anything else on its network.
The checks sit where they cannot be stepped around:

* :func:`parse_webhook_url` reads the URL as the webhook client will (yarl, IDNA included:
  fullwidth ``１２７.０.０.１`` becomes ``127.0.0.1``) and refuses other schemes, userinfo,
  and hosts that are neither a host name nor a canonical IP address. ``2130706433``,
  ``0177.0.0.1``, ``0x7f.1`` and ``127.1`` are refused, not normalised: the OS resolver reads
  them all as 127.0.0.1, ``ipaddress`` reads none of them, and no real receiver is written
  that way. It judges IP-literal hosts itself: those are dialled with no lookup.
* :class:`GuardedLookup` resolves host names for the client (:mod:`.http1`) and keeps only
  the addresses the guard allows; the client dials those by IP, so the address checked is
  the address connected to, and DNS rebinding has no second lookup to answer differently.
* :func:`check_destination` runs the same checks when someone registers, so a bad URL is refused
  with a field name instead of failing every reminder later.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Sequence
from functools import lru_cache

from yarl import URL

from notifier.errors import N_, BlockedDestinationError, RegistrationError, SettingsError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# what a page in the reader's language says; the English message keeps the guard's reason
BLOCKED_URL = N_("the service may not send to this URL's address; use a public host name")
UNRESOLVED_URL = N_("the host name of this URL could not be looked up; check it for typos")
_HOW_TO_FIX = (
    "webhooks must reach public addresses (an operator can allow a network with "
    "NOTIFIER_WEBHOOK_ALLOWED_NETWORKS)"
)
# the WHATWG URL rule: a host whose last label is a number is an IPv4 address, however spelt
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")


def _table(*rows: tuple[str, str]) -> tuple[tuple[_Network, str], ...]:
    return tuple((ipaddress.ip_network(cidr), why) for cidr, why in rows)


# IANA's special-purpose registries, the narrower row first so the reason given is exact.
# Written out rather than read from ipaddress.is_global, whose answers change between patches.
_REFUSED = _table(
    ("0.0.0.0/8", "unspecified"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "carrier-grade NAT space (RFC 6598)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.169.254/32", "the cloud metadata service"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "reserved for IETF protocols"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),
    ("192.88.99.0/24", "the retired 6to4 relay anycast"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible (deprecated since RFC 4291)"),
    # RFC 8215: where it holds the IPv4 address depends on the operator's prefix length
    ("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
    ("100::/64", "discard-only"),
    ("2001:2::/48", "benchmarking"),
    ("2001:db8::/32", "documentation"),
    ("2001::/23", "reserved for IETF protocols"),
    ("3fff::/20", "documentation"),
    ("fd00:ec2::254/128", "the AWS metadata service"),
    ("fc00::/7", "private (unique local)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
)
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class AddressGuard:
    """Decides whether an IP address may be contacted: public unicast, or allow-listed."""

    def __init__(self, allowed_networks: Sequence[str] = ()) -> None:
        try:
            self._allowed = tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks)
        except ValueError as exc:
            raise SettingsError(
                f"NOTIFIER_WEBHOOK_ALLOWED_NETWORKS: {exc}; write CIDRs like 10.0.0.0/8"
            ) from exc

    def refusal(self, address: str | IPAddress) -> str | None:
        """Why ``address`` must not be contacted (``loopback``), or None when it may."""
        try:
            ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        except ValueError:
            return "not an IP address"
        if any(ip in network for network in self._allowed):
            return None
        if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)):
            # a packet to ::ffff:127.0.0.1 or 2002:7f00:1:: ends up at 127.0.0.1: judge that
            reasons = [f"{v4}, which is {why}" for v4 in inner if (why := self.refusal(v4))]
            return f"a wrapper around {reasons[0]}" if reasons else None
        for network, why in _REFUSED:
            if ip in network:
                return why
        if ip.version == 6 and ip not in _GLOBAL_UNICAST_V6:
            return "reserved (not global unicast)"
        return None

    def allows(self, address: str | IPAddress) -> bool:
        return self.refusal(address) is None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 one leads to: mapped, NAT64, 6to4, Teredo (server, client)."""
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip in _NAT64:
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    return ip.teredo or ()


def check_url(url: str) -> None:
    """Refuse (:class:`BlockedDestinationError`) a URL no webhook should have, before any DNS."""
    _read(url)


def parse_webhook_url(url: str, guard: AddressGuard) -> URL:
    """``url`` as the client reads it, refused if unsafe; an IP-literal host is guarded here.

    Host names are left to :class:`GuardedLookup`, which judges what they resolve to.
    """
    parsed, literal = _read(url)
    if literal is not None and (why := guard.refusal(literal)):
        raise BlockedDestinationError(f"{parsed.origin()}: {literal} is {why}; {_HOW_TO_FIX}")
    return parsed


def _read(url: str) -> tuple[URL, IPAddress | None]:
    """The URL and, when its host is an IP address, that address. Messages never quote the
    path or query (they may hold the receiver's token)."""
    try:
        parsed = URL(url)
    except (TypeError, ValueError) as exc:
        raise BlockedDestinationError(
            "the webhook URL cannot be parsed; write it like https://hooks.example.org/reminders"
        ) from exc
    if parsed.scheme not in ("http", "https"):
        raise BlockedDestinationError("the webhook URL must start with http:// or https://")
    if parsed.raw_user is not None or parsed.raw_password is not None:
        raise BlockedDestinationError(
            "the webhook URL has a user name or password before the host; remove the user@ part"
        )
    if not parsed.raw_host:
        raise BlockedDestinationError("the webhook URL has no host")
    return parsed, _literal_address(parsed.raw_host)


@lru_cache(maxsize=1024)  # a fan-out posts to a few receivers thousands of times: read each once
def _literal_address(host: str) -> IPAddress | None:
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise BlockedDestinationError(f"{host!r} is not a valid IPv6 address") from None
    name = host.lower()
    if _NUMERIC_LABEL.fullmatch(name.rstrip(".").rpartition(".")[2]):
        try:
            return ipaddress.IPv4Address(host)  # dotted quads only: no octal, hex or short forms
        except ValueError:
            raise BlockedDestinationError(
                f"the webhook host {host!r} is an unusual spelling of an IPv4 address; write "
                "it as four decimal numbers (a.b.c.d) or use a host name"
            ) from None
    if not _HOST_NAME.fullmatch(name):
        raise BlockedDestinationError(f"the webhook host {host!r} is not a valid host name")
    return None


def allowed_addresses(host: str, found: Sequence[str], guard: AddressGuard) -> tuple[str, ...]:
    """The addresses of ``found`` (what ``host`` resolved to) the guard allows, in order.

    Refuses (:class:`BlockedDestinationError`) when none is left, naming a few and why.
    """
    kept = tuple(address for address in found if guard.allows(address))
    if not kept:
        refused = ", ".join(f"{a} ({guard.refusal(a)})" for a in found[:4])
        raise BlockedDestinationError(
            f"{host} resolves only to addresses webhooks may not reach: "
            f"{refused or 'none at all'}; {_HOW_TO_FIX}"
        )
    return kept


class GuardedLookup:
    """Host names to the addresses the guard allows, looked up off the loop, kept 30 s.

    The caller dials only what this returns, by IP: the address checked is the address
    connected to, so DNS rebinding finds no second lookup to answer differently. Only
    allowed answers are kept; refusals and failures are asked again next time.
    """

    def __init__(self, guard: AddressGuard, *, ttl_s: float = 30.0, max_names: int = 1024) -> None:
        self._guard, self._ttl_s, self._max_names = guard, ttl_s, max_names
        self._cache: dict[str, tuple[float, tuple[str, ...]]] = {}

    async def addresses(self, host: str, port: int) -> tuple[str, ...]:
        """The allowed addresses of ``host``; ``socket.gaierror`` when it does not resolve."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        cached = self._cache.get(host)
        if cached is not None and cached[0] > now:
            return cached[1]
        kept = allowed_addresses(host, await look_up(host, port), self._guard)
        if len(self._cache) >= self._max_names:
            self._cache.clear()  # a few lookups again beat an unbounded cache
        self._cache[host] = (now + self._ttl_s, kept)
        return kept


async def look_up(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, once each and in the resolver's order.

    Off the loop (``loop.getaddrinfo`` runs in the default executor); ``AI_ADDRCONFIG`` as
    aiohttp's resolver asks: no IPv6 answers on a host without IPv6. Raises ``socket.gaierror``.
    """
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_destination(url: str, guard: AddressGuard, *, timeout_s: float = 5.0) -> None:
    """At registration, refuse (``RegistrationError`` on ``webhook_url``) what sends would.

    Stricter than sending: one refused address among several refuses the URL, since a name
    pointing both outside and inside is how rebinding attacks begin.
    """
    try:
        parsed = parse_webhook_url(url, guard)
    except BlockedDestinationError as exc:
        raise RegistrationError("webhook_url", str(exc), msgid=BLOCKED_URL) from exc
    host = parsed.raw_host or ""
    if _literal_address(host) is not None:
        return  # already judged by parse_webhook_url
    try:
        async with asyncio.timeout(timeout_s):
            found = await look_up(host, parsed.port or 0)
    except TimeoutError as exc:
        message = f"{host} did not resolve within {timeout_s:g} s; check the host name"
        raise RegistrationError("webhook_url", message, msgid=UNRESOLVED_URL) from exc
    except OSError as exc:
        message = f"cannot resolve {host} ({exc.strerror or exc}); check the host name"
        raise RegistrationError("webhook_url", message, msgid=UNRESOLVED_URL) from exc
    for address in found:
        if why := guard.refusal(address):
            message = f"{host} resolves to {address}, which is {why}; {_HOW_TO_FIX}"
            raise RegistrationError("webhook_url", message, msgid=BLOCKED_URL)
