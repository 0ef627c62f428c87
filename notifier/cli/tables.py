"""Plain text tables for ``register list`` and ``deliveries``: a header, aligned columns.

Plain on purpose: the output is read by people and by ``grep``/``cut`` alike, so a row is one
line (no wrapping inside cells, no box drawing), and the last column (an address or an error,
the long one) is never padded. ``--json`` is the form for programs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo


def table_lines(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The header and one line per row, each column as wide as its widest cell."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    return [
        "  ".join(
            cell if i == len(widths) - 1 else cell.ljust(widths[i]) for i, cell in enumerate(line)
        ).rstrip()
        for line in (headers, *rows)
    ]


def local_time(moment: datetime, viewer: tzinfo) -> str:
    """``2023-05-23 09:10 CEST``: short enough for a column, with the zone's abbreviation."""
    local = moment.astimezone(viewer)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
