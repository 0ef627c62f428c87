"""Progress bars on stderr for work that takes more than a few seconds.

Shown only when stderr is a terminal: in a log file, CI output or a pipe, a bar is noise (and
carriage returns). rich draws it and keeps the per-row lines the command prints on stdout
above the bar; rich is imported only when a bar is drawn, so no command's cold start pays
for it (``benchmarks/bench_cli.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# below this many items the work takes about a second (register import writes ~600 rows/s to
# the embedded store): no bar
BAR_FROM_ITEMS = 500


def _no_progress(_done: int = 1) -> None:
    return None


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n=1)``; draws a bar for ``total`` items if it is worth one."""
    if total < BAR_FROM_ITEMS or not sys.stderr.isatty():
        yield _no_progress
        return
    from rich.console import Console  # lazy: only a command drawing a bar pays the import
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    # stdout's lines go above the bar only when they share the terminal; piped, they stay put
    same_terminal = sys.stdout.isatty()
    console = Console(stderr=True)
    with Progress(*columns, console=console, redirect_stdout=same_terminal) as bar:
        task = bar.add_task(label, total=total)

        def advance(done: int = 1) -> None:
            bar.advance(task, done)

        yield advance


@contextmanager
def stage_bars(size: int) -> Iterator[Callable[[str, int, int], None]]:
    """Yield ``tick(stage, done, total)``: one bar per stage, drawn if ``size`` items (lines of
    a listing) are worth it; the pure code reports, this decides whether anyone sees it."""
    if size < BAR_FROM_ITEMS or not sys.stderr.isatty():
        yield _no_stage
        return
    from rich.console import Console  # lazy: only a command drawing a bar pays the import
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    same_terminal = sys.stdout.isatty()
    with Progress(*columns, console=Console(stderr=True), redirect_stdout=same_terminal) as bars:
        tasks: dict[str, TaskID] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)

        yield tick


def _no_stage(_stage: str, _done: int, _total: int) -> None:
    return None
