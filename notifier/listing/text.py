"""A listing (plain text, Markdown or HTML) as numbered lines, so every report can say where.

HTML is read with the standard library's :class:`html.parser.HTMLParser`, not beautifulsoup4:
it reports the source line of every piece of text as it goes (bs4 keeps positions on tags
only, not on the strings the importer reads), and it needs no new dependency. Listings are
often text with stray tags (a programme copied out of a page: ``<p>TITLE</p> <p>Organized
by …</p>``), so source newlines always end a line, as they do in plain text; ``<br>``, table
rows and block tags end one too. Markup that carries meaning is kept as text: cells become
tabs (the programme layout's column separator) and links become Markdown ``[label](href)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# tags that start a new paragraph (outside a table row); matched whole
_BLOCK_TAGS = re.compile(
    r"p|div|h[1-6]|li|ul|ol|dl|dt|dd|table|thead|tbody|section|article|header|footer|main|nav"
    r"|blockquote|pre|hr"
)
_CELL_TAGS = frozenset({"td", "th"})
_HIDDEN_TAGS = frozenset({"script", "style", "head", "template"})
_HTML_HINT = re.compile(
    r"<(?:/?(?:p|br|div|span|a|b|i|u|em|strong|h[1-6]|li|ul|ol|table|tr|td|th|html|body)\b"
    r"|!doctype)|&(?:[a-z]+|#\d+|#x[0-9a-f]+);",
    re.IGNORECASE,
)


_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Line:
    """One line of the listing as text; ``number`` is its 1-based line in the source."""

    number: int
    text: str


def read_lines(raw: str) -> list[Line]:
    """The listing's lines, tags stripped and entities decoded when it holds any HTML."""
    if not _HTML_HINT.search(raw):
        # only newlines count, as in an editor (str.splitlines also breaks at \x0c, \u2028, …)
        texts = _NEWLINE.split(raw)
        return [Line(number, text) for number, text in enumerate(texts, start=1)]
    flattener = _Flattener()
    flattener.feed(raw)
    flattener.close()
    return flattener.finish()


class _Flattener(HTMLParser):
    """Collects text into lines; each line keeps the source line where it started."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[Line] = []
        self._parts: list[str] = []
        self._start = 1
        self._hidden = 0
        self._cells = 0
        self._rows = 0
        self._links: list[str | None] = []
        self._just_broken = False

    def finish(self) -> list[Line]:
        self._end_line()
        return self._lines

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        line = self.getpos()[0]
        if self._rows:
            # inside a table row, source newlines are only spaces: the row is one line
            data = data.replace("\n", " ")
        for offset, piece in enumerate(data.split("\n")):
            if offset and self._just_broken and not "".join(self._parts).strip():
                # "<br>" then a newline in the source is one line break, not two
                self._parts, self._start = [], line + offset
                self._just_broken = False
            elif offset:
                self._end_line(line + offset)
            if piece:
                self._just_broken = False
                self._parts.append(piece)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _CELL_TAGS:
            self._cells += 1
            if "".join(self._parts).strip():
                self._parts.append("\t")
        elif tag == "a":
            self._links.append(dict(attrs).get("href"))
            self._parts.append("[")
        elif tag == "tr":
            self._rows += 1
            self._end_line()
        else:
            self.handle_startendtag(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._end_line(force=True)
        elif _BLOCK_TAGS.fullmatch(tag):
            self._block_edge()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _CELL_TAGS:
            self._cells = max(0, self._cells - 1)
        elif tag == "tr":
            self._rows = max(0, self._rows - 1)
            self._end_line()
        elif tag == "a" and self._links:
            href = self._links.pop()
            self._parts.append(f"]({href})" if href else "]")
        elif tag != "br":
            self.handle_startendtag(tag, [])

    def _block_edge(self) -> None:
        # a paragraph inside a cell, or inside a row copied out of a table (it holds a tab),
        # stays on its row: "2–2.50 p.m.\t<p>TITLE</p> <p>Organized by …</p>\tM2" is one row
        if self._cells or "\t" in "".join(self._parts):
            self._parts.append(" ")
            return
        self._end_line()
        if self._lines and self._lines[-1].text.strip():
            self._lines.append(Line(self.getpos()[0], ""))

    def _end_line(self, next_start: int | None = None, *, force: bool = False) -> None:
        """End the current line; ``next_start`` is where the next one begins (a newline)."""
        text = "".join(self._parts)
        if text or force or next_start is not None:
            self._lines.append(Line(self._start, text))
        self._parts = []
        self._start = next_start if next_start is not None else self.getpos()[0]
        self._just_broken = next_start is None
