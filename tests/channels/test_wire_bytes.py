"""The bytes a reminder puts on the wire do not change when the composer reuses work.

``tests/channels/data/wire/*.eml`` hold what the composer sent before it built anything once per
variant (zone, language, attendance): every path that sends a reminder must still send exactly
those bytes, participant by participant, in one fan-out's order (so later ones reuse parts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from email import policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.channels import OutboxChannel, ReminderMessage, SmtpChannel, compose_email
from notifier.channels.headers import parse_mailbox
from notifier.channels.wire import WireComposer
from notifier.errors import PermanentDeliveryError
from tests.support.reminders import PUBLIC_BASE_URL, SENDER
from tests.support.smtp import SmtpServer
from tests.support.wire import WIRE_DIR, wire_bytes, wire_participants

PARTICIPANTS = wire_participants()


def _golden(name: str) -> bytes:
    return (WIRE_DIR / f"{name}.eml").read_bytes()


def test_every_participant_has_its_recorded_bytes() -> None:
    """A fixture without its recording would make the comparisons below vacuous."""
    assert sorted(p.stem for p in WIRE_DIR.glob("*.eml")) == sorted(n for n, _ in PARTICIPANTS)
    assert len({_golden(name) for name, _ in PARTICIPANTS}) == len(PARTICIPANTS)


@pytest.mark.parametrize(("name", "message"), PARTICIPANTS, ids=[n for n, _ in PARTICIPANTS])
def test_compose_email_flattens_to_the_recorded_bytes(name: str, message: ReminderMessage) -> None:
    """The EmailMessage API (tests, the outbox) still describes exactly what is sent."""
    composed = compose_email(message, sender=SENDER, public_base_url=PUBLIC_BASE_URL)
    assert wire_bytes(composed) == _golden(name)


async def test_smtp_sends_the_recorded_bytes_to_every_participant(
    smtp_server: SmtpServer, make_channel: Callable[..., SmtpChannel]
) -> None:
    """What the SMTP server receives, per recipient, is the recording, byte for byte."""
    channel = make_channel(smtp_server, pool_size=1)
    for _, message in PARTICIPANTS:
        await channel.send(message)
    received = smtp_server.handler.received
    assert len(received) == len(PARTICIPANTS)
    for (name, message), got in zip(PARTICIPANTS, received, strict=True):
        assert message.registration.email is not None
        assert got.rcpt_tos == [got.message["To"].addresses[0].addr_spec]
        assert got.mail_from == "reminders@notifier.example.org"
        assert got.content == _golden(name), name


async def test_the_outbox_writes_the_recorded_bytes(tmp_path: Path) -> None:
    """The embedded default's .eml files are the same bytes SMTP carries."""
    outbox = OutboxChannel(tmp_path, sender=SENDER, public_base_url=PUBLIC_BASE_URL)
    for name, message in PARTICIPANTS:
        receipt = await outbox.send(message)
        assert Path(receipt).read_bytes() == _golden(name), name


def _reference(message: ReminderMessage) -> bytes:
    composed = compose_email(message, sender=SENDER, public_base_url=PUBLIC_BASE_URL)
    return wire_bytes(composed)


@pytest.mark.parametrize(
    "link",
    [
        f"{PUBLIC_BASE_URL}/unsubscribe/tok-{'x' * 90}",  # folds the List-Unsubscribe header
        f"{PUBLIC_BASE_URL}/unsubscribe/a=b&c='d'",  # QP escapes "=", HTML escapes "&" and "'"
        f"{PUBLIC_BASE_URL}/u/1",
    ],
    ids=["long", "escaped", "short"],
)
def test_reused_skeletons_give_what_the_full_composer_gives(link: str) -> None:
    """Participants after the first of a variant get the full composer's bytes, whatever
    their link and address look like."""
    composer = WireComposer(sender=SENDER, public_base_url=PUBLIC_BASE_URL)
    for name, message in PARTICIPANTS * 2:
        changed = replace(message, unsubscribe_url=link, delivery_key=f"{name}-{link}")
        wire = composer.compose(changed)
        assert wire is not None
        assert wire.data == _reference(changed), name


def test_a_small_cache_still_composes_every_variant_right() -> None:
    """Variants pushed out of a full cache are composed again, not mixed up."""
    composer = WireComposer(sender=SENDER, public_base_url=PUBLIC_BASE_URL, max_variants=2)
    for name, message in PARTICIPANTS[::-1] + PARTICIPANTS:
        wire = composer.compose(message)
        assert wire is not None
        assert wire.data == _golden(name), name


def test_a_bad_link_is_refused_as_before() -> None:
    """A cached variant must not let through a link the full composer refuses."""
    composer = WireComposer(sender=SENDER, public_base_url=PUBLIC_BASE_URL)
    _, message = PARTICIPANTS[0]
    assert composer.compose(message) is not None  # the variant is cached now
    bad = replace(message, unsubscribe_url="javascript:alert(1)")
    with pytest.raises(PermanentDeliveryError, match="unsubscribe link"):
        composer.compose(bad)
    with pytest.raises(PermanentDeliveryError, match="unsubscribe link"):
        _reference(bad)


def test_a_bad_address_is_refused_as_before() -> None:
    """A cached variant must not let through an address the full composer refuses."""
    composer = WireComposer(sender=SENDER, public_base_url=PUBLIC_BASE_URL)
    _, message = PARTICIPANTS[0]
    assert composer.compose(message) is not None
    bad = replace(message, registration=replace(message.registration, email="not an address"))
    with pytest.raises(PermanentDeliveryError, match="not a valid email address"):
        composer.compose(bad)
    with pytest.raises(PermanentDeliveryError, match="not a valid email address"):
        _reference(bad)


# bare addresses, some longer than a To line (local part up to 38, domain up to 69 characters)
_PLAIN = (
    r"[A-Za-z0-9_+-]{1,20}(\.[A-Za-z0-9_+-]{1,8}){0,2}"
    r"@[A-Za-z0-9-]{1,30}(\.[A-Za-z0-9-]{1,12}){1,3}"
)


@settings(max_examples=150, deadline=None)
@given(address=st.from_regex(_PLAIN, fullmatch=True))
def test_a_plain_address_reads_and_writes_as_the_email_package_would(address: str) -> None:
    """The shortcut for bare addresses must agree with the email package's own parser and
    folder, short and long (past one line), or some recipient gets a different To line."""
    oracle = policy.default.header_factory("to", address).addresses[0]
    got = parse_mailbox(address, "the address")
    assert (got.username, got.domain, got.display_name) == (oracle.username, oracle.domain, "")
    _, message = PARTICIPANTS[0]
    message = replace(message, registration=replace(message.registration, email=address))
    wire = WireComposer(sender=SENDER, public_base_url=PUBLIC_BASE_URL).compose(message)
    assert wire is not None
    assert wire.data == _reference(message)
