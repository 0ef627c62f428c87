"""Wait for a condition with a deadline, never for a fixed time (STYLE.md, Tests).

``wait_until`` polls from synchronous code (a test driving a subprocess), ``until`` from a
coroutine (a test on the event loop, which must keep turning while it waits), ``until_async``
for a condition that must itself await (a store read). All return the
condition's first truthy value, so a test can wait for and take a thing in one step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 30.0
POLL_S = 0.02


class ConditionTimeout(AssertionError):
    """The condition was still false at the deadline (an AssertionError: the test fails)."""


def _explain(what: str | Callable[[], str], timeout_s: float) -> str:
    detail = what() if callable(what) else what
    return (
        f"not true within {timeout_s} s: {detail}" if detail else f"not true within {timeout_s} s"
    )


def wait_until(
    condition: Callable[[], T | None],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    poll_s: float = POLL_S,
    what: str | Callable[[], str] = "",
) -> T:
    """Poll ``condition`` until it returns something truthy, and return that.

    ``what`` (text, or a function giving text such as a log tail) explains a timeout.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ConditionTimeout(_explain(what, timeout_s))
        time.sleep(poll_s)


async def until(
    condition: Callable[[], T | None],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    poll_s: float = POLL_S / 2,
    what: str | Callable[[], str] = "",
) -> T:
    """``wait_until`` for coroutines: the loop keeps running the code that makes it true."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ConditionTimeout(_explain(what, timeout_s))
        await asyncio.sleep(poll_s)


async def until_async(
    condition: Callable[[], Awaitable[T | None]],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    poll_s: float = POLL_S / 2,
    what: str | Callable[[], str] = "",
) -> T:
    """``until`` for a condition that awaits (a store read)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ConditionTimeout(_explain(what, timeout_s))
        await asyncio.sleep(poll_s)
