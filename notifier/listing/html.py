"""HTML listings read as structure with lxml: headings, paragraphs, lists and tables as lines.

lxml (libxml2's HTML parser) keeps each element's source line (``sourceline``), so every report
names the page's own line, and it repairs the tag soup real pages are made of. Navigation and
breadcrumbs (``<nav>``, ``class="breadcrumb"``, menus) are left out: their text is never taken
for an event name or a title. A table row is one line of cells: ``<br>`` and paragraphs inside
a cell stay in that cell (as line breaks), ``rowspan`` repeats a cell into the rows below it,
``colspan`` keeps the columns aligned, and a row of ``<th>`` (or the ``<thead>``) is the
header. Links keep their target. A page that is text with stray tags (no ``<html>`` or
``<body>``) keeps its source line breaks, as plain text does; and a paragraph inside a row
copied out of a table (it holds a tab) stays on its row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from notifier.listing.lines import Line, row_cells

_SKIP = frozenset({"script", "style", "head", "template", "noscript", "nav", "svg", "iframe"})
_CHROME = re.compile(r"breadcrumb|\bnav\b|navbar|menu|skip-link|cookie", re.IGNORECASE)
_BLOCKS = frozenset(
    {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "section", "article", "header", "footer"}
    | {"main", "aside", "blockquote", "pre", "address", "figure", "figcaption", "form", "hr"}
    | {"center", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr"}
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_PAGE = re.compile(r"<\s*(?:html|body|!doctype)\b", re.IGNORECASE)


@dataclass
class _Builder:
    """Text pieces of the line being built, and the lines built so far."""

    keep_newlines: bool
    lines: list[Line] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    start: int = 1
    cursor: int = 1
    heading: int = 0

    def add(self, text: str | None) -> None:
        if not text:
            return
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                self.cursor += 1
                # a row copied in as text (it holds a tab) ends at its source line's end
                if self.keep_newlines or "\t" in "".join(self.parts):
                    self.end()
                else:
                    self.parts.append(" ")
            if piece.strip() and not "".join(self.parts).strip():
                self.start = self.cursor
            self.parts.append(piece)

    def end(self) -> None:
        text = " ".join("".join(self.parts).replace("\xa0", " ").split(" "))
        if text.strip():
            cells = row_cells(text) if "\t" in text else ()
            clean = " ".join(text.split())
            self.lines.append(Line(self.start, clean, cells, self.heading, links=tuple(self.links)))
        self.parts, self.links = [], []

    def block_edge(self) -> None:
        # a paragraph inside a row copied out of a table stays on its row
        if "\t" in "".join(self.parts):
            self.parts.append(" ")
        else:
            self.end()


def read_html(raw: str) -> tuple[list[Line], str | None]:
    """The page's lines and its name (the first ``<h1>``, else ``<title>``)."""
    try:
        root = lxml.html.document_fromstring(raw)
    except etree.ParserError:
        return [], None
    builder = _Builder(keep_newlines=_PAGE.search(raw) is None)
    body = root.find("body")
    _walk(body if body is not None else root, builder)
    builder.end()
    return builder.lines, _name(root)


def _name(root: Any) -> str | None:
    for element in root.iter("h1"):
        if not _is_chrome(element):
            text = " ".join(element.text_content().split())
            if text:
                return text
    title = root.find(".//title")
    return " ".join(title.text_content().split()) or None if title is not None else None


def _is_chrome(element: Any) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in _SKIP:
            return True
        marks = " ".join(filter(None, (node.get("class"), node.get("id"), node.get("role"))))
        if marks and _CHROME.search(marks):
            return True
    return False


def _walk(element: Any, builder: _Builder) -> None:
    builder.cursor = max(builder.cursor, element.sourceline or builder.cursor)
    builder.add(element.text)
    for child in element:
        _child(child, builder)
        builder.add(child.tail)


def _child(child: Any, builder: _Builder) -> None:
    tag = child.tag if isinstance(child.tag, str) else ""
    if not tag or tag in _SKIP or _is_chrome_mark(child):
        return
    if tag == "br":
        builder.cursor = max(builder.cursor, child.sourceline or builder.cursor)
        builder.end()
        return
    if tag == "table":
        builder.end()
        _table(child, builder)
        return
    if tag == "a":
        builder.links.append((" ".join(child.text_content().split()), child.get("href") or ""))
    block = tag in _BLOCKS
    # <dt>Venue:</dt><dd>Online</dd> is one labelled line
    joins_label = tag == "dd" and "".join(builder.parts).rstrip().endswith(":")
    if block and not joins_label:
        builder.block_edge()
    elif joins_label:
        builder.parts.append(" ")
    level = _HEADINGS.get(tag, 0)
    if level:
        builder.heading = level
    _walk(child, builder)
    if block and tag != "dt":
        builder.block_edge()
    if level:
        builder.end()
        builder.heading = 0


def _is_chrome_mark(element: Any) -> bool:
    marks = " ".join(filter(None, (element.get("class"), element.get("id"), element.get("role"))))
    return bool(marks) and _CHROME.search(marks) is not None


def _table(table: Any, builder: _Builder) -> None:
    carried: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill)
    for row in table.iter("tr"):
        if _is_chrome(row) and not _is_chrome(table):
            continue
        cells = _row_cells(row, carried)
        if any(cell for cell in cells):
            header = row.getparent().tag == "thead" or all(c.tag == "th" for c in _cells(row))
            number = row.sourceline or builder.cursor
            text = " | ".join(cell.replace("\n", " ") for cell in cells)
            links = tuple(
                (" ".join(a.text_content().split()), a.get("href") or "") for a in row.iter("a")
            )
            builder.lines.append(Line(number, text, tuple(cells), header=header, links=links))
        builder.cursor = max(builder.cursor, row.sourceline or builder.cursor)


def _cells(row: Any) -> list[Any]:
    return [cell for cell in row if isinstance(cell.tag, str) and cell.tag in ("td", "th")]


def _row_cells(row: Any, carried: dict[int, tuple[str, int]]) -> list[str]:
    cells: list[str] = []
    column = 0
    for cell in _cells(row):
        column = _fill_carried(cells, column, carried)
        text = _cell_text(cell)
        span = int(cell.get("colspan") or 1) if (cell.get("colspan") or "1").isdigit() else 1
        rows = int(cell.get("rowspan") or 1) if (cell.get("rowspan") or "1").isdigit() else 1
        if rows > 1:
            carried[column] = (text, rows - 1)
        cells.append(text)
        cells.extend("" for _ in range(span - 1))
        column += span
    _fill_carried(cells, column, carried, to_end=True)
    return cells


def _fill_carried(
    cells: list[str], column: int, carried: dict[int, tuple[str, int]], *, to_end: bool = False
) -> int:
    """Put cells carried down by ``rowspan`` into their columns; the next free column."""
    while column in carried or (to_end and any(c >= column for c in carried)):
        if column in carried:
            text, left = carried.pop(column)
            if left > 1:
                carried[column] = (text, left - 1)
            cells.append(text)
        else:
            cells.append("")
        column += 1
    return column


def _cell_text(cell: Any) -> str:
    """A cell's text; ``<br>`` and paragraphs inside it are line breaks within the cell."""
    inner = _Builder(keep_newlines=False)
    _walk(cell, inner)
    inner.end()
    return "\n".join(line.text for line in inner.lines)
