"""A listing as numbered lines, each a run of text or a table row, so every report says where.

Plain text and Markdown are read line by line: a line with tabs, or with two or more ``|``
(a Markdown pipe row), is a row of cells; a ``|---|`` line marks the row above it as the
table's header; ``# Title`` is a heading; ``[label](href)`` keeps its label as text and its
target as a link. Bold that wraps over lines (``**Tuesday 23 May⏎09:10- 10:00 CEST**``) is one
line, numbered where it starts, since the listing wrote it as one thing. HTML goes to
:mod:`notifier.listing.html`, which gives the same :class:`Line` values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NEWLINE = re.compile(r"\r\n|\r|\n")
_MD_LINK = re.compile(r"\[(?P<label>[^\]]*)\]\((?P<target>[^)\s]*)\)")
_MD_HEADING = re.compile(r"^\s{0,3}(?P<marks>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SPACED_COLUMNS = re.compile(r"\s{2,}")
_EMPHASIS = "**"
_HTML_HINT = re.compile(
    r"<(?:/?(?:p|br|div|span|a|b|i|u|em|strong|h[1-6]|li|ul|ol|table|tr|td|th|html|body)\b"
    r"|!doctype)|&(?:[a-z]+|#\d+|#x[0-9a-f]+);",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Line:
    """One line of the listing. ``number`` is its 1-based line in the source; ``cells`` are
    a row's columns (empty for running text); ``heading`` is 1–6 for a heading, else 0;
    ``header`` marks a table's header row; ``links`` are (label, target) pairs."""

    number: int
    text: str
    cells: tuple[str, ...] = ()
    heading: int = 0
    header: bool = False
    links: tuple[tuple[str, str], ...] = field(default=())
    raw: str = ""  # the text as written, spaces kept (columns aligned with spaces)

    @property
    def blank(self) -> bool:
        return not self.text.strip() and not any(cell.strip() for cell in self.cells)


def looks_like_html(raw: str) -> bool:
    return _HTML_HINT.search(raw) is not None


def read_text(raw: str) -> list[Line]:
    """The lines of a plain-text or Markdown listing."""
    # only newlines count, as in an editor (str.splitlines also breaks at \x0c, \u2028, …)
    lines: list[Line] = []
    for number, text in _joined(_NEWLINE.split(raw)):
        if _PIPE_RULE.match(text) and "-" in text:
            if lines and lines[-1].cells:
                lines[-1] = Line(lines[-1].number, lines[-1].text, lines[-1].cells, header=True)
            continue
        lines.append(text_line(number, text))
    return lines


def _joined(texts: list[str]) -> list[tuple[int, str]]:
    """Source lines, with bold that is left open at a line's end joined to the next lines."""
    out: list[tuple[int, str]] = []
    open_at: int | None = None
    for number, text in enumerate(texts, start=1):
        if open_at is not None and text.strip():
            start, previous = out[-1]
            out[-1] = (start, f"{previous.rstrip()} {text.strip()}")
        else:
            out.append((number, text))
        if text.count(_EMPHASIS) % 2:
            open_at = None if open_at is not None else number
        if not text.strip():
            open_at = None
    return out


def text_line(number: int, text: str) -> Line:
    """``text`` as a :class:`Line`: a heading, a row of cells, or running text."""
    links = tuple((m["label"], m["target"]) for m in _MD_LINK.finditer(text))
    plain = _MD_LINK.sub(lambda m: m["label"], text).replace(_EMPHASIS, "")
    heading = _MD_HEADING.match(plain)
    if heading is not None:
        return Line(number, heading["text"], heading=len(heading["marks"]), links=links)
    cells = row_cells(plain)
    return Line(number, plain.strip(), cells, links=links, raw=plain)


def row_cells(text: str) -> tuple[str, ...]:
    """The columns of a tab-separated or pipe row; empty when ``text`` is running text."""
    if "\t" in text:
        parts = text.split("\t")
    elif text.count("|") >= 2 or text.lstrip().startswith("|"):
        inner = text.strip()
        inner = inner[1:] if inner.startswith("|") else inner
        inner = inner[:-1] if inner.endswith("|") else inner
        parts = inner.split("|")
    else:
        return ()
    cells = tuple(" ".join(part.split()) for part in parts)
    return cells if sum(1 for cell in cells if cell) >= 1 and len(cells) >= 2 else ()


def spaced_cells(text: str) -> tuple[str, ...]:
    """Columns of a row aligned with runs of spaces (a programme copied out of a PDF)."""
    parts = [part for part in _SPACED_COLUMNS.split(text.strip()) if part]
    return tuple(parts) if len(parts) >= 2 else ()
