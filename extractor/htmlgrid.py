"""HTML to lines of cells: paragraphs become one-cell lines, tables become grids.

`rowspan`/`colspan` are expanded into a full grid; the copies a span creates are empty
cells, exactly as a merged cell looks when a table is copied as tab-separated text, so the
table reader sees one shape. Offsets point into the original HTML source (entities and
tags included), because that is the file a reviewer opens.

A saved page is more than its article: the site's navigation, breadcrumbs, sidebars and
footer (`<nav>`, `<aside>`, `<footer>` and blocks whose class or id says nav, menu, crumb,
footer, sidebar, share) are left out, so their link texts are not read as the report. A
page whose markup never closes such a block is read whole instead.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .layout import Cell, Line

_BLOCK = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "title",
        "section",
        "article",
        "header",
        "footer",
        "table",
        "tr",
        "blockquote",
        "pre",
        "hr",
        "dd",
        "dt",
    ]
)
_SKIP = frozenset(["script", "style", "noscript", "template", "svg", "head"])
_SPACES = re.compile(r"\s+")
_NAV_TAGS = frozenset(["nav", "aside", "footer"])
_NAV_CONTAINERS = frozenset(["div", "ul", "ol", "dl", "section", "nav", "aside", "footer", "header", "p", "span"])
_NAV_NAME = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|crumbs?|breadcrumbs?|footer|sidebar|share|location|position)(?:$|[\s_-]|\d)",
    re.IGNORECASE,
)


@dataclass
class _Piece:
    """Text gathered for one cell or paragraph, with the source span it came from."""

    parts: list[str] = field(default_factory=list)
    start: int = -1
    end: int = -1
    earlier: list[Cell] = field(default_factory=list)  # blocks (<p>, <div>, <br>) already ended in this cell

    def add(self, text: str, start: int, end: int) -> None:
        if not text.strip():
            self.parts.append(" ")
            return
        if self.start < 0:
            self.start = start + (len(text) - len(text.lstrip()))
        self.end = end - (len(text) - len(text.rstrip()))
        self.parts.append(text)

    def block_break(self) -> None:
        if self.start < 0:  # nothing but whitespace since the last break
            self.parts = []
            return
        block = self._block()
        if block.text:
            self.earlier.append(block)
        self.parts, self.start, self.end = [], -1, -1

    def _block(self) -> Cell:
        text = _SPACES.sub(" ", "".join(self.parts)).strip()
        return Cell(text, max(self.start, 0), max(self.end, 0))

    def blocks(self) -> list[Cell]:
        if self.start < 0:  # nothing but whitespace since the last break
            return list(self.earlier)
        last = self._block()
        return [*self.earlier, last] if last.text else list(self.earlier)

    def cell(self, blocks: list[Cell] | None = None) -> Cell:
        """The piece as one cell (from its `blocks()`, when the caller has them already)."""
        blocks = self.blocks() if blocks is None else blocks
        if not blocks:
            return Cell("", max(self.start, 0), max(self.start, 0))
        if len(blocks) == 1:
            only = blocks[0]
            return Cell(only.text, only.start, only.end)
        return Cell(" ".join(b.text for b in blocks), blocks[0].start, blocks[-1].end)


@dataclass
class _Table:
    rows: list[list[tuple[Cell, int, int]]] = field(default_factory=list)  # (cell, rowspan, colspan)
    current: _Piece | None = None
    span: tuple[int, int] = (1, 1)
    start: int = 0
    layout: bool = False  # a table used to lay out a page (it holds another table): its text is prose
    blocks: list[list[Cell]] = field(default_factory=list)  # each closed cell's blocks, in print order

    def start_cell(self) -> None:
        """A new cell begins: the open one ends, and a table with no <tr> gets its first row."""
        self.close_cell()
        if not self.rows:
            self.rows.append([])

    def close_cell(self) -> None:
        """End the open cell; HTML lets </td> be omitted before the next <td>, <tr> or </table>."""
        if self.current is not None:
            blocks = self.current.blocks()
            self.put(self.current.cell(blocks), blocks, self.span)
            self.current = None

    def put(self, cell: Cell, blocks: list[Cell], span: tuple[int, int]) -> None:
        self.rows[-1].append((cell, *span))
        self.blocks.append(blocks)


# Markup is scanned with regular expressions rather than html.parser: several times faster on
# report pages, and every token's offset into the source comes for free.
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)|<![^>]*>|<\?[^>]*>"
    r"|<(?P<close>/?)(?P<tag>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(?P<self>/?)>",
    re.S,
)
_ATTR = re.compile(r"([A-Za-z_:][-\w:.]*)\s*(?:=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
# A table cell whose only text is one run without entities, inside any number of inline or
# paragraph tags (`<td><p><span>12</span></p></td>`, as Word saves a table): the bulk of a
# report page's markup. Around a single run of text those tags change nothing.
_WRAPPER = r"</?(?:p|div|span|font|b|strong|i|em|u|a|sub|sup|small|big|label|br)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
# Possessive: the text can only be the one run between the wrappers, so nothing is lost by never
# backtracking, and a long cell that is not plain fails in linear time.
_PLAIN_CELL = re.compile(rf"(?:\s*{_WRAPPER})*+([^<&]*+)(?:{_WRAPPER}\s*)*+</(?:td|th)\s*>", re.I)
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")
_RAW_TEXT = frozenset(["script", "style", "textarea"])


def _attributes(text: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for match in _ATTR.finditer(text):
        value = match.group(2)
        if value is not None and value[:1] in "\"'":
            value = value[1:-1]
        out.append((match.group(1).lower(), html.unescape(value) if value is not None else None))
    return out


class _Reader:
    def __init__(self, source: str, *, skip_nav: bool = True) -> None:
        self.skip_nav = skip_nav
        self.nav: list[str | int] | None = None  # [tag, depth] of the navigation block being skipped
        self.lines: list[Line] = []
        self._position = 0
        self._paragraph = _Piece()
        self._tables: list[_Table] = []
        self._skip = 0

    def _offset(self) -> int:
        return self._position

    def feed(self, source: str) -> None:
        position = 0
        while position < len(source):
            match = _MARKUP.search(source, position)
            end = match.start() if match else len(source)
            if end > position:
                self._data(source, position, end)
            if match is None:
                break
            self._position, position = match.start(), match.end()
            close, tag, attrs, alone = match.groups()
            if not tag:
                continue  # comment, doctype, processing instruction
            tag = tag.lower()
            if close:
                self.handle_endtag(tag)
            elif alone:
                self.handle_startendtag(tag, self._attributes_of(tag, attrs))
            elif tag in ("td", "th") and (plain := self._plain_cell(source, position, attrs)):
                position = plain
            else:
                self.handle_starttag(tag, self._attributes_of(tag, attrs))
                if tag in _RAW_TEXT:
                    closing = re.compile(rf"</{tag}\s*>", re.I).search(source, position)
                    position = closing.end() if closing else len(source)
                    self.handle_endtag(tag)

    def _plain_cell(self, source: str, position: int, attrs: str) -> int:
        """Read a `_PLAIN_CELL` in one step when nothing inside needs the general path; return
        where it ends (0: it does not apply). The same cell as `handle_starttag` and `_text`
        would build, without a `_Piece` per cell."""
        table = self._tables[-1] if self._tables else None
        if table is None or table.layout or self.nav is not None or self._skip:
            return 0
        found = _PLAIN_CELL.match(source, position)
        if found is None:
            return 0
        table.start_cell()
        text = found.group(1)
        kept = text.strip()
        span = _cell_span(_attributes(attrs)) if attrs.strip() else (1, 1)
        if kept:
            start = found.start(1) + len(text) - len(text.lstrip())
            cell = Cell(_SPACES.sub(" ", kept), start, start + len(kept))
            table.put(cell, [cell], span)
        else:
            table.put(Cell("", 0, 0), [], span)
        return found.end()

    def _attributes_of(self, tag: str, text: str) -> list[tuple[str, str | None]]:
        # Only spans (td/th) and navigation blocks are decided by attributes; most tags are inline.
        wanted = tag in ("td", "th") or (self.skip_nav and tag in _NAV_CONTAINERS)
        return _attributes(text) if wanted and text.strip() else []

    def _data(self, source: str, start: int, end: int) -> None:
        if self._skip or self.nav is not None:
            return
        if source.find("&", start, end) < 0:
            self._text(source[start:end], start, end)
            return
        position = start
        for entity in _ENTITY.finditer(source, start, end):
            if entity.start() > position:
                self._text(source[position : entity.start()], position)
            self._text(html.unescape(entity.group()).replace("\xa0", " "), entity.start(), entity.end())
            position = entity.end()
        if position < end:
            self._text(source[position:end], position)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.nav is not None:
            if tag == self.nav[0]:
                self.nav[1] = int(self.nav[1]) + 1
            return
        if self.skip_nav and tag in _NAV_CONTAINERS and not self._tables and _is_nav(tag, attrs):
            self._flush()
            self.nav = [tag, 1]
        elif tag in _SKIP:
            self._skip += 1
        elif tag == "table":
            if self._in_cell():
                self._to_layout(self._tables[-1])
            self._flush()
            self._tables.append(_Table(start=self._offset()))
        elif self._tables and self._tables[-1].layout and tag in ("tr", "td", "th"):
            self._flush()
        elif self._tables and tag == "tr":
            self._tables[-1].close_cell()
            self._tables[-1].rows.append([])
        elif self._tables and tag in ("td", "th"):
            table = self._tables[-1]
            table.start_cell()
            table.current = _Piece()
            table.span = _cell_span(attrs)
        elif tag in _BLOCK:
            self._block_break()

    def _block_break(self) -> None:
        if self._in_cell():
            current = self._tables[-1].current
            assert current is not None
            current.block_break()
        else:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._block_break()

    def handle_endtag(self, tag: str) -> None:
        if self.nav is not None:
            if tag == self.nav[0]:
                self.nav[1] = int(self.nav[1]) - 1
                if self.nav[1] == 0:
                    self.nav = None
            return
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._in_cell():
            self._tables[-1].close_cell()
        elif tag == "table" and self._tables:
            table = self._tables.pop()
            table.close_cell()
            self._flush()
            if not table.layout:
                self.lines.extend(_grid_lines(table))
        elif tag in _BLOCK:
            self._block_break()

    def _text(self, text: str, start: int, end: int | None = None) -> None:
        if self._skip or self.nav is not None:
            return
        stop = start + len(text) if end is None else end
        if self._in_cell():
            current = self._tables[-1].current
            assert current is not None
            current.add(text, start, stop)
        elif not self._tables or self._tables[-1].layout or not self._tables[-1].rows:
            self._paragraph.add(text, start, stop)

    def _in_cell(self) -> bool:
        return bool(self._tables) and self._tables[-1].current is not None

    def _to_layout(self, table: _Table) -> None:
        """A table inside a cell: the outer one lays out the page, so what it held so far is prose."""
        table.close_cell()
        table.layout = True
        for blocks in table.blocks:
            self.lines.extend(Line([block], block.start, block.end) for block in blocks)
        table.rows, table.blocks = [], []

    def _flush(self) -> None:
        cell = self._paragraph.cell()
        if cell.text:
            self.lines.append(Line([cell], cell.start, cell.end))
        self._paragraph = _Piece()

    def close(self) -> None:
        while self._tables:
            table = self._tables.pop()
            table.close_cell()
            if not table.layout:
                self.lines.extend(_grid_lines(table))
        self._flush()


def _is_nav(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag in _NAV_TAGS:
        return True
    names = " ".join(value or "" for name, value in attrs if name in ("class", "id"))
    return bool(names) and _NAV_NAME.search(names) is not None


def _cell_span(attrs: list[tuple[str, str | None]]) -> tuple[int, int]:
    """(rowspan, colspan) of a table cell's attributes."""
    values = dict(attrs)
    return _int(values.get("rowspan")), _int(values.get("colspan"))


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 200))
    except ValueError:
        return 1


def _grid_lines(table: _Table) -> list[Line]:
    occupied: dict[tuple[int, int], Cell] = {}
    widths: dict[int, int] = {}  # row -> 1 + its last occupied column
    lines: list[Line] = []
    for r, row in enumerate(table.rows):
        c = 0
        for cell, rowspan, colspan in row:
            while (r, c) in occupied:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    copy = cell if dr == dc == 0 else Cell("", cell.start, cell.start)
                    occupied.setdefault((r + dr, c + dc), copy)
                widths[r + dr] = max(widths.get(r + dr, 0), c + colspan)
            c += colspan
        # A new empty cell for each gap (lines are shifted in place later), made only where needed.
        cells = [
            found if (found := occupied.get((r, col))) is not None else Cell("", 0, 0)
            for col in range(widths.get(r, 0))
        ]
        spans = [cell for cell in cells if cell.text]
        start = spans[0].start if spans else table.start
        end = spans[-1].end if spans else table.start
        lines.append(Line(cells, start, end, separated=True))
    return lines


def html_lines(source: str) -> list[Line]:
    reader = _read(source, skip_nav=True)
    if reader.nav is not None:  # a navigation block never closed: it may hold the article, so read it all
        reader = _read(source, skip_nav=False)
    return reader.lines


def _read(source: str, *, skip_nav: bool) -> _Reader:
    reader = _Reader(source, skip_nav=skip_nav)
    reader.feed(source)
    reader.close()
    return reader
