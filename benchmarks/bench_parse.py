"""Listing-time throughput: our parser against python-dateutil on the same corpus strings.

Run: .venv/bin/python -m benchmarks.bench_parse [--rounds N]
Both parse every time string of tests/times/corpus/listing_times.yaml (day headings left out)
in the same run, with the context each string's page gives (dateutil gets the day or year as
its default and the venue zone for a naive result). Prints strings/s, how many each read
(returned a value instead of an error) and how many of those are the expected instant.
Figures only: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from dateutil import parser as dateutil_parser  # type: ignore[import-untyped]

from notifier.times import TimeContext, TimeExpressionError, parse_when

CORPUS = (
    Path(__file__).resolve().parent.parent / "tests" / "times" / "corpus" / "listing_times.yaml"
)
Row = dict[str, Any]


def _rows() -> list[Row]:
    rows: list[Row] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return [row for row in rows if row.get("kind") != "day"]


def _context(row: Row) -> TimeContext:
    ctx = row.get("context") or {}
    day = ctx.get("day")
    return TimeContext(ctx.get("zone"), ctx.get("year"), date.fromisoformat(day) if day else None)


def ours(row: Row, context: TimeContext) -> datetime | None:
    try:
        return parse_when(row["text"], context).start
    except TimeExpressionError:
        return None


def theirs(row: Row, context: TimeContext) -> datetime | None:
    day = context.day or date(context.year or 2000, 1, 1)
    try:
        moment: datetime = dateutil_parser.parse(
            row["text"],
            default=datetime(*day.timetuple()[:3]),  # noqa: DTZ001 dateutil wants a naive default
        )
    except (ValueError, OverflowError):
        return None
    if moment.tzinfo is None and context.zone:
        moment = moment.replace(tzinfo=ZoneInfo(context.zone))
    return moment


def _measure(
    parse: Callable[[Row, TimeContext], datetime | None], rows: list[Row], rounds: int
) -> tuple[float, int, int]:
    contexts = [_context(row) for row in rows]
    began = time.perf_counter()
    for _ in range(rounds):
        results = [parse(row, context) for row, context in zip(rows, contexts, strict=True)]
    elapsed = time.perf_counter() - began
    read = sum(result is not None for result in results)
    right = sum(
        result is not None
        and result.tzinfo is not None
        and result.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == row["expect"].get("start_utc")
        for result, row in zip(results, rows, strict=True)
    )
    return len(rows) * rounds / elapsed, read, right


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--rounds", type=int, default=20, help="passes over the corpus")
    rounds = cli.parse_args().rounds
    rows = _rows()
    expected = sum("start_utc" in row["expect"] for row in rows)
    warnings.simplefilter("ignore")  # dateutil warns on every abbreviation it cannot place
    _measure(ours, rows, 1)  # warm caches: zone files, regexes
    _measure(theirs, rows, 1)
    print(f"{len(rows)} corpus strings ({expected} with an expected instant), {rounds} rounds")
    for name, parse in (("notifier parse_when", ours), ("dateutil.parser.parse", theirs)):
        rate, read, right = _measure(parse, rows, rounds)
        print(f"{name:<22} {rate:10,.0f} strings/s  read {read:3d}  right instant {right:3d}")


if __name__ == "__main__":
    main()
