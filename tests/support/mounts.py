"""Small real filesystems for the disk faults: a tmpfs that fills up, a read-only bind mount.

Mounting needs root (or password-less ``sudo``): the tests run as root in CI and in the
project's container, and fail with a clear message elsewhere rather than skip. Every mount is
undone in a ``finally`` (lazily, so a file a child still holds open cannot keep it mounted).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

FILL_CHUNK = 64 * 1024


def _privileged(*argv: str) -> None:
    command = list(argv) if os.geteuid() == 0 else ["sudo", "-n", *argv]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} failed ({done.stderr.strip()}): the disk-fault tests mount a"
            " small tmpfs and a read-only bind mount; run them as root or with sudo -n",
            pytrace=False,
        )


@contextlib.contextmanager
def small_tmpfs(folder: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` KiB mounted on ``folder``: a disk that really fills up (ENOSPC)."""
    folder.mkdir(parents=True, exist_ok=True)
    _privileged("mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        _privileged("umount", "--lazy", str(folder))


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """``folder`` bind-mounted read-only onto itself (EROFS even for root) until the block ends."""
    _privileged("mount", "--bind", str(folder), str(folder))
    try:
        _privileged("mount", "-o", "remount,bind,ro", str(folder))
        yield folder
    finally:
        _privileged("umount", "--lazy", str(folder))


def fill(path: Path) -> int:
    """Write ``path`` until the filesystem is full; the bytes written. Delete it to free them."""
    written = 0
    chunk = b"\0" * FILL_CHUNK
    with path.open("wb", buffering=0) as out:
        while True:
            try:
                written += out.write(chunk) or 0
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    # a last partial block, if the filesystem takes one
    with contextlib.suppress(OSError), path.open("ab", buffering=0) as out:
        while out.write(b"\0" * 512):
            written += 512
    return written
