"""The security report: per class of hostile input, how many were tried and how many refused.

The security suite's conftest prints the table at the end of the run; every test that records
into it also asserts that none got through.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Tally:
    """Per input class: how many hostile inputs were tried, and how many were refused."""

    counts: dict[str, list[int]] = field(default_factory=dict)

    def record(self, name: str, refused: bool) -> None:
        tried_refused = self.counts.setdefault(name, [0, 0])
        tried_refused[0] += 1
        tried_refused[1] += int(refused)

    def got_through(self, name: str) -> int:
        tried, refused = self.counts.get(name, [0, 0])
        return tried - refused

    def lines(self) -> list[str]:
        rows = [f"{'class':<44} {'tried':>5} {'refused':>7} {'through':>7}"]
        for name, (tried, refused) in sorted(self.counts.items()):
            rows.append(f"{name:<44} {tried:>5} {refused:>7} {tried - refused:>7}")
        return rows
