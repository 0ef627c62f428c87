"""The webhook address guard: which addresses and URL spellings are refused, and where."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from notifier.channels import ReminderMessage
from notifier.channels.ssrf import (
    AddressGuard,
    GuardedLookup,
    allowed_addresses,
    check_destination,
    check_url,
    parse_webhook_url,
)
from notifier.channels.webhook import WebhookChannel
from notifier.errors import (
    BlockedDestinationError,
    PermanentDeliveryError,
    RegistrationError,
    SettingsError,
)
from tests.support.webhooks import Receiver

MakeChannel = Callable[..., WebhookChannel]
MakeMessage = Callable[..., ReminderMessage]

# a Teredo address is 2001:0:<server>:<flags>:<port ^ ffff>:<client ^ ffffffff>
TEREDO_CLIENT_LOOPBACK = "2001:0:4136:e378:8000:63bf:80ff:fffe"  # server 65.54.227.120
TEREDO_SERVER_PRIVATE = "2001:0:a00:1:8000:63bf:f7f7:f7f7"  # server 10.0.0.1, client 8.8.8.8

REFUSED = [
    pytest.param("127.0.0.1", "loopback", id="127.0.0.1"),
    pytest.param("10.0.0.1", "private", id="10.0.0.1"),
    pytest.param("172.16.0.1", "private", id="172.16.0.1"),
    pytest.param("192.168.1.1", "private", id="192.168.1.1"),
    pytest.param("169.254.169.254", "metadata", id="169.254.169.254"),
    pytest.param("169.254.1.1", "link-local", id="169.254.1.1"),
    pytest.param("100.64.0.1", "carrier-grade NAT", id="100.64.0.1"),
    pytest.param("0.0.0.0", "unspecified", id="0.0.0.0"),  # noqa: S104  # data, not a bind
    pytest.param("224.0.0.1", "multicast", id="224.0.0.1"),
    pytest.param("255.255.255.255", "reserved", id="broadcast"),
    pytest.param("198.18.0.1", "benchmarking", id="198.18.0.1"),
    pytest.param("192.0.2.1", "documentation", id="192.0.2.1"),
    pytest.param("203.0.113.9", "documentation", id="203.0.113.9"),
    pytest.param("::1", "loopback", id="::1"),
    pytest.param("::", "unspecified", id="::"),
    pytest.param("fe80::1", "link-local", id="fe80::1"),
    pytest.param("fe80::1%eth0", "link-local", id="fe80::1%eth0"),
    pytest.param("fc00::1", "unique local", id="fc00::1"),
    pytest.param("fd00:ec2::254", "AWS metadata", id="fd00:ec2::254"),
    pytest.param("ff02::1", "multicast", id="ff02::1"),
    pytest.param("2001:db8::1", "documentation", id="2001:db8::1"),
    pytest.param("::ffff:127.0.0.1", "127.0.0.1, which is loopback", id="::ffff:127.0.0.1"),
    pytest.param("::ffff:169.254.169.254", "metadata", id="::ffff:169.254.169.254"),
    pytest.param("::127.0.0.1", "IPv4-compatible", id="ipv4-compatible"),
    pytest.param("64:ff9b::7f00:1", "127.0.0.1, which is loopback", id="64:ff9b::7f00:1"),
    pytest.param("64:ff9b:1::a00:1", "local-use NAT64", id="64:ff9b:1::a00:1"),
    pytest.param("2002:7f00:1::", "127.0.0.1, which is loopback", id="6to4-2002:7f00:1::"),
    pytest.param(TEREDO_CLIENT_LOOPBACK, "127.0.0.1, which is loopback", id="teredo-client"),
    pytest.param(TEREDO_SERVER_PRIVATE, "10.0.0.1, which is private", id="teredo-server"),
    pytest.param("5f00::1", "not global unicast", id="5f00::1"),
]

ALLOWED = [
    pytest.param("8.8.8.8", id="8.8.8.8"),
    pytest.param("1.1.1.1", id="1.1.1.1"),
    pytest.param("2606:4700:4700::1111", id="2606:4700:4700::1111"),
    pytest.param("::ffff:8.8.8.8", id="mapped-public"),
    pytest.param("64:ff9b::808:808", id="nat64-public"),
    pytest.param("2002:808:808::1", id="6to4-public"),
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_non_public_addresses_are_refused_with_the_reason(address: str, reason: str) -> None:
    """A webhook must never reach the service's own network, metadata service or loopback."""
    guard = AddressGuard()
    assert not guard.allows(address)
    assert reason in (guard.refusal(address) or "")


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed_even_inside_ipv6_wrappers(address: str) -> None:
    """Wrappers are judged by the IPv4 address inside: IPv6-only hosts use NAT64 for real."""
    assert AddressGuard().allows(address)


def test_an_allowed_network_lets_its_addresses_through_and_no_others() -> None:
    """Private deployments allow their own network; the rest of the guard must stay shut."""
    guard = AddressGuard(["127.0.0.0/8"])
    assert guard.allows("127.0.0.1")
    assert guard.allows("::ffff:127.0.0.1")  # the same host, written as IPv6
    assert not guard.allows("10.0.0.1")
    assert not guard.allows("::1")


def test_a_malformed_allowed_network_is_a_settings_error() -> None:
    """A typo in NOTIFIER_WEBHOOK_ALLOWED_NETWORKS must stop start-up, not open the guard."""
    with pytest.raises(SettingsError, match="NOTIFIER_WEBHOOK_ALLOWED_NETWORKS"):
        AddressGuard(["10.0.0.0/33"])


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        pytest.param("ftp://hooks.example.org/x", "http:// or https://", id="ftp"),
        pytest.param("file:///etc/passwd", "http:// or https://", id="file"),
        pytest.param("hooks.example.org/x", "http:// or https://", id="no-scheme"),
        pytest.param("https://user:pw@hooks.example.org/", "user name or password", id="userinfo"),
        pytest.param("https://user@hooks.example.org/", "user name or password", id="user-only"),
        pytest.param("http:///x", "no host", id="no-host"),
        pytest.param("http://2130706433/", "IPv4", id="integer"),
        pytest.param("http://0177.0.0.1/", "IPv4", id="octal"),
        pytest.param("http://0x7f.1/", "IPv4", id="hex-short"),
        pytest.param("http://0x7f000001/", "IPv4", id="hex-integer"),
        pytest.param("http://127.1/", "IPv4", id="short"),
        pytest.param("http://127.0.0.01/", "IPv4", id="leading-zero"),
        pytest.param("http://%31%32%37.0.0.1/", "IPv4", id="percent-encoded-ip"),
        pytest.param("http://%6c%6fcalhost/", "not a valid host name", id="percent-encoded-name"),
    ],
)
def test_urls_no_webhook_should_have_are_refused_before_any_lookup(url: str, problem: str) -> None:
    """The OS resolver reads 2130706433, 0177.0.0.1 and 0x7f.1 as 127.0.0.1; ipaddress cannot."""
    with pytest.raises(BlockedDestinationError, match=problem) as caught:
        check_url(url)
    assert "/etc/passwd" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://hooks.example.org/x?token=1", id="name"),
        pytest.param("https://bücher.example/hook", id="idn"),
        pytest.param("http://8.8.8.8:8080/", id="ipv4"),
        pytest.param("http://[2606:4700:4700::1111]:8443/", id="ipv6"),
    ],
)
def test_ordinary_urls_pass_the_syntax_check(url: str) -> None:
    """The guard must not turn away the receivers people really run."""
    check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://127.0.0.1:8080/", id="ipv4"),
        pytest.param("http://[::1]/", id="ipv6"),
        pytest.param("http://[::ffff:7f00:1]/", id="mapped"),
        pytest.param("http://１２７.０.０.１/", id="fullwidth-digits"),
    ],
)
def test_ip_literal_hosts_are_guarded_before_they_are_dialled(url: str) -> None:
    """IP literals are dialled with no lookup, so the check must come first."""
    with pytest.raises(BlockedDestinationError, match="loopback"):
        parse_webhook_url(url, AddressGuard())


async def test_the_guarded_lookup_refuses_localhost_as_the_system_resolves_it() -> None:
    """Names are checked after resolution: what they resolve to is what would be dialled."""
    lookup = GuardedLookup(AddressGuard())
    with pytest.raises(BlockedDestinationError, match="localhost resolves only") as caught:
        await lookup.addresses("localhost", 80)
    assert "loopback" in str(caught.value)


async def test_the_guarded_lookup_keeps_allowed_addresses_of_localhost() -> None:
    """With loopback allowed, localhost's IPv4 address is kept and its ::1 dropped."""
    found = await GuardedLookup(AddressGuard(["127.0.0.0/8"])).addresses("localhost", 80)
    assert found
    assert all(address.startswith("127.") for address in found)


def test_refused_addresses_are_dropped_and_the_rest_kept_in_order() -> None:
    """A name that points both outside and inside must only ever be dialled outside."""
    answer = ["10.0.0.1", "93.184.215.14", "169.254.169.254", "2606:4700:4700::1111"]
    kept = allowed_addresses("rebinding.example", answer, AddressGuard())
    assert kept == ("93.184.215.14", "2606:4700:4700::1111")


def test_a_name_with_only_refused_addresses_is_refused_with_the_reasons() -> None:
    """The operator reads which address was refused and why, and how to allow a network."""
    with pytest.raises(BlockedDestinationError) as caught:
        allowed_addresses("inside.example", ["10.0.0.1", "169.254.169.254"], AddressGuard())
    text = str(caught.value)
    assert "10.0.0.1 (private (RFC 1918))" in text
    assert "the cloud metadata service" in text
    assert "NOTIFIER_WEBHOOK_ALLOWED_NETWORKS" in text


async def test_a_send_to_localhost_without_the_allow_list_never_reaches_the_receiver(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """A name resolving to loopback is refused for good, and nothing is sent."""
    channel = make_webhook_channel(allowed=())
    with pytest.raises(PermanentDeliveryError, match="loopback"):
        await channel.send(make_webhook_message(receiver.url(host="localhost")))
    assert receiver.requests == []


@pytest.mark.parametrize(
    "host",
    [pytest.param("127.0.0.1", id="literal"), pytest.param("１２７.０.０.１", id="fullwidth")],
)
async def test_a_send_to_a_loopback_literal_without_the_allow_list_never_reaches_the_receiver(
    receiver: Receiver,
    make_webhook_channel: MakeChannel,
    make_webhook_message: MakeMessage,
    host: str,
) -> None:
    """IP literals skip the resolver, so the channel must refuse them itself."""
    with pytest.raises(PermanentDeliveryError, match="loopback"):
        await make_webhook_channel(allowed=()).send(make_webhook_message(receiver.url(host=host)))
    assert receiver.requests == []


async def test_a_send_to_localhost_with_loopback_allowed_goes_through_the_resolver(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """The allow-list is how private deployments (and these tests) reach their receivers."""
    channel = make_webhook_channel()
    assert await channel.send(make_webhook_message(receiver.url(host="localhost"))) == "HTTP 200"
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        pytest.param("http://localhost/hook", "loopback", id="localhost"),
        pytest.param("http://10.0.0.1/hook", "private", id="private-literal"),
        pytest.param("http://[fd00:ec2::254]/", "AWS metadata", id="aws-metadata"),
        pytest.param("gopher://hooks.example.org/", "http:// or https://", id="scheme"),
        pytest.param("http://no-such-host.invalid/hook", "no-such-host.invalid", id="unresolvable"),
    ],
)
async def test_registration_refuses_destinations_sends_would_refuse(url: str, problem: str) -> None:
    """Refusing at registration names the field; refusing at send time fails every reminder."""
    with pytest.raises(RegistrationError, match=problem) as caught:
        await check_destination(url, AddressGuard())
    assert caught.value.field == "webhook_url"


async def test_registration_accepts_an_allowed_destination() -> None:
    """An operator's allow-list applies at registration as it does at send time."""
    await check_destination("http://localhost:9/hook", AddressGuard(["127.0.0.0/8", "::1/128"]))
    await check_destination("http://127.0.0.1/hook", AddressGuard(["127.0.0.0/8"]))
