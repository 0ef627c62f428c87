"""The channel extension point: every channel name has a factory, and each one is built."""

from __future__ import annotations

from pathlib import Path

from notifier.channels import CHANNELS, EmailSender, make_channels
from notifier.records import CHANNEL_NAMES
from notifier.settings import Settings


def test_every_channel_name_has_exactly_one_factory() -> None:
    """A name without a factory would be accepted in configs and then never delivered."""
    assert sorted(CHANNELS) == sorted(CHANNEL_NAMES)


async def test_make_channels_builds_each_channel_under_its_own_name(tmp_path: Path) -> None:
    """The fan-out looks a delivery's channel up by name: a mislabelled channel sends wrong."""
    settings = Settings(data_dir=tmp_path, config=[tmp_path])
    channels = make_channels(settings, "registry-test-secret")
    try:
        assert {name: channel.name for name, channel in channels.items()} == {
            name: name for name in CHANNEL_NAMES
        }
        # the embedded default's email channel also sends confirmation mail (the API needs it)
        assert isinstance(channels["email"], EmailSender)
    finally:
        for channel in channels.values():
            await channel.aclose()
