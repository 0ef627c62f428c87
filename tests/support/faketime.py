"""A process whose wall clock the test moves: libfaketime (Debian's ``libfaketime``) preloaded.

The offset lives in a file the test rewrites (``FAKETIME_TIMESTAMP_FILE``, re-read at most once
a second), so a running ``notifier run`` sees its clock jump as a host's does when NTP steps it.
Only the wall clock moves (``CLOCK_REALTIME``): the monotonic clock, which asyncio's timers and
thread waits use, keeps real time, as it does on a real host.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.events import write_atomically

LIBRARY_GLOBS = (
    "/usr/lib/*/faketime/libfaketimeMT.so.1",  # Debian, Ubuntu: the thread-safe build
    "/usr/lib/faketime/libfaketimeMT.so.1",
    "/usr/local/lib/faketime/libfaketimeMT.so.1",
)


def find_libfaketime() -> str:
    for pattern in LIBRARY_GLOBS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    pytest.fail(
        "libfaketime is not installed, and the clock-jump test needs it (it never skips): run"
        " `sudo apt-get install faketime` (scripts/test does this on CI)",
        pytrace=False,
    )


@dataclass(frozen=True)
class FakeClock:
    """The offset file of one process's fake wall clock."""

    offset_file: Path

    @classmethod
    def create(cls, folder: Path) -> FakeClock:
        clock = cls(folder / "faketime.offset")
        clock.jump_to(0)
        return clock

    def environment(self) -> dict[str, str]:
        """What the child's environment needs for its wall clock to follow the file."""
        return {
            "LD_PRELOAD": find_libfaketime(),
            "FAKETIME_TIMESTAMP_FILE": str(self.offset_file),
            "FAKETIME_CACHE_DURATION": "1",  # re-read the file at most once a second
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "DONT_FAKE_MONOTONIC": "1",  # the same, as libfaketime before 0.9.10 spells it
        }

    def jump_to(self, offset_s: int) -> None:
        """The child's wall clock reads real time plus ``offset_s`` from now on."""
        write_atomically(self.offset_file, f"{offset_s:+d}\n")
