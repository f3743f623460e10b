"""A PDF page's glyphs to lines of text and cells: layout, running headers, page breaks.

`pdftext` reads each page's characters (glyphs) and ruled tables; this module lays them out.
Text outside tables is printed as `pdftotext -layout` would (columns kept apart by runs
of spaces, so unruled tables are read by the space-aligned layout reader) and a paragraph's
wrapped lines are joined; a ruled table becomes one tab-separated line per row. Page
headers, footers and page numbers (`- 4 -`, `第4页`) stay in the text but are no lines;
a table cut by a page break goes on without its repeated header rows, and the rest of a
row the break cut is joined to its first part. Coordinates are PDF points, y downwards.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from .layout import Cell, Line, shifted, text_lines, width
from .normalize import looks_numeric
from .pdfgrid import Grid

_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－~・·\s]*\d{1,4}[-—–－~・·\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/、]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*[,，]?\s*第\s*\d{1,4}\s*页|\d{1,4}\s*/\s*\d{1,4}|(?i:page)\s*\d{1,4}(?:\s*(?i:of)\s*\d{1,4})?)$"
)
_MARGIN = 0.15  # share of the page height where running headers and footers sit


@dataclass(slots=True)
class Glyph:
    """One printed character and its box."""

    ch: str
    x0: float
    x1: float
    top: float  # y grows downwards
    bottom: float


@dataclass
class Item:
    """A text line or a ruled table on a page, in reading order."""

    top: float
    bottom: float
    glyphs: list[Glyph] = field(default_factory=list)
    rows: list[list[str]] | None = None  # a ruled table's cells, merged positions empty
    unit: float = 5.0  # the page's display column width (see `unit_of`)
    wide: bool = False  # the line has a gap wide enough to separate columns
    xs: list[float] = field(default_factory=list)  # a ruled table's column lines
    skip: int = 0  # leading table rows that repeat the header of the part before a page break
    running: bool = False  # a page header, footer or page number


def unit_of(glyphs: list[Glyph]) -> float:
    """The width of one display column (half a Chinese character) on this page."""
    widths = [(g.x1 - g.x0) / width(g.ch) for g in glyphs if g.x1 > g.x0]
    return max(statistics.median(widths), 1.0) if widths else 5.0


def group_lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Group glyphs into printed lines (by vertical position), each left to right."""
    lines: list[list[Glyph]] = []
    middle = height = 0.0
    for glyph in sorted(glyphs, key=lambda g: ((g.top + g.bottom) / 2, g.x0)):
        centre = (glyph.top + glyph.bottom) / 2
        if lines and abs(centre - middle) <= height * 0.45:
            lines[-1].append(glyph)
            continue
        lines.append([glyph])
        middle, height = centre, max(glyph.bottom - glyph.top, 1.0)
    return [sorted(line, key=lambda g: g.x0) for line in lines]


def _spaced(glyphs: list[Glyph], left: float, unit: float) -> str:
    """One printed line with spaces where the gaps are: two or more spaces separate columns."""
    first = glyphs[0]
    column = round((first.x0 - left) / unit) if first.x0 > left else 0
    out = [" " * column + first.ch]
    column += width(first.ch)
    wide, narrow = 1.6 * unit, 0.4 * unit
    previous = first
    for glyph in glyphs[1:]:
        gap = glyph.x0 - previous.x1
        if gap > wide:
            target = round((glyph.x0 - left) / unit) - column
            spaces = target if target > 2 else 2
            out.append(" " * spaces)
            column += spaces
        elif gap > narrow:
            out.append(" ")
            column += 1
        out.append(glyph.ch)
        column += width(glyph.ch)
        previous = glyph
    return "".join(out)


def has_gap(glyphs: list[Glyph], unit: float) -> bool:
    """Whether the line has a gap wide enough to separate columns (see `_spaced`)."""
    return any(b.x0 - a.x1 > 1.6 * unit for a, b in pairwise(glyphs))


def _joined(lines: list[str]) -> str:
    """A cell's lines as one string: a wrapped Chinese label joins without a space."""
    text = ""
    for line in lines:
        if text and line and text[-1].isascii() and text[-1].isalpha() and line[0].isascii() and line[0].isalpha():
            text += " "  # words wrapped in a Latin label; digits wrapped in a narrow cell join up
        text += line
    return text


def table_rows(grid: Grid, glyphs: list[Glyph], unit: float) -> list[list[str]]:
    per_cell: dict[tuple[int, int], list[Glyph]] = {}
    for glyph in glyphs:
        cell = grid.locate((glyph.x0 + glyph.x1) / 2, (glyph.top + glyph.bottom) / 2)
        if cell is not None:
            per_cell.setdefault(cell, []).append(glyph)
    texts = {
        cell: _joined([_spaced(line, line[0].x0, unit) for line in group_lines(found)])
        for cell, found in per_cell.items()
    }
    rows = []
    for r in range(len(grid.ys) - 1):
        row = [texts.get((r, c), "") if grid.owner[(r, c)] == (r, c) else "" for c in range(len(grid.xs) - 1)]
        if any(row):
            rows.append(row)
    return rows


# ---- running headers, page breaks, assembly --------------------------------------------


def _single(item: Item) -> str | None:
    """The text of a one-cell text line (a running header or page number is one), else None."""
    if item.rows is not None:
        return None
    return None if item.wide else "".join(g.ch for g in item.glyphs)


def mark_running(pages: list[list[Item]], heights: list[float]) -> None:
    """Flag page numbers, and lines repeated at the top or bottom of most pages."""
    edges: list[list[tuple[Item, str]]] = []
    for items, height in zip(pages, heights, strict=True):
        if not items:
            edges.append([])
            continue
        ends = items[:2] + items[-2:] if len(items) > 4 else items
        found = []
        for item in ends:
            text = _single(item)
            if text is not None and (item.bottom < height * _MARGIN or item.top > height * (1 - _MARGIN)):
                found.append((item, text))
        edges.append(found)
    repeated = Counter(shape for found in edges for shape in {re.sub(r"\d+", "#", t) for _, t in found})
    need = max(2, (len(pages) + 1) // 2)
    for found in edges:
        for item, text in found:
            if _PAGE_NUMBER.match(text) or (len(pages) > 1 and repeated[re.sub(r"\d+", "#", text)] >= need):
                item.running = True


def join_tables(pages: list[list[Item]]) -> None:
    """A table cut by a page break goes on; header rows repeated on the new page are dropped."""
    first_part: Item | None = None
    for previous, current in pairwise(pages):
        tail = [item for item in previous if not item.running]
        head = [item for item in current if not item.running]
        if not tail or not head or tail[-1].rows is None or head[0].rows is None:
            first_part = None
            continue
        first_part = first_part or tail[-1]
        before, after = first_part.rows or [], head[0].rows
        skip = 0
        # Compared by their filled cells: the new page's grid may have other column lines.
        while skip < min(len(before), len(after)) - 1 and _filled(before[skip]) == _filled(after[skip]):
            skip += 1
        if skip < len(after) and _continue_row(tail[-1], head[0], skip):
            skip += 1
        head[0].skip = skip


def _continue_row(above: Item, below: Item, index: int) -> bool:
    """Join the rest of a row that the page break cut (Word lets rows break) to its first part.

    It is the rest when each of its cells lies under a filled cell of the same kind (text
    under text, digits under digits), its label (if any) has no heading number, and some
    filled cell above has nothing below it (a complete new row would fill them all).
    """
    last, first = (above.rows or [[]])[-1], (below.rows or [[]])[index]
    target = [_column_at(above.xs, (below.xs[c] + below.xs[c + 1]) / 2) for c in range(len(first))]
    label = next((t for t in first if t and not looks_numeric(t)), "")
    if not any(first) or _HEADING.match(label):
        return False
    for text, column in zip(first, target, strict=True):
        if text and (column is None or not last[column] or looks_numeric(text) != looks_numeric(last[column])):
            return False
    continued = {column for text, column in zip(first, target, strict=True) if text}
    if all(column in continued for column, text in enumerate(last) if text):
        return False
    for text, column in zip(first, target, strict=True):
        if text and column is not None:
            last[column] = _joined([last[column], text])
    return True


def _filled(row: list[str]) -> list[str]:
    return [text for text in row if text]


def _column_at(xs: list[float], x: float) -> int | None:
    return next((c for c in range(len(xs) - 1) if xs[c] <= x <= xs[c + 1]), None)


_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．])")
_SENTENCE_END = "。！？；：!?;:"


def _reflow(items: list[Item], unit: float) -> list[Item]:
    """Join a paragraph's wrapped lines, so a sentence (and the number in it) is one line of text.

    A line is continued by the next when it runs to within three characters of the right edge
    (left-aligned text ends ragged; a number that does not fit moves down whole), does not
    end a sentence, and the next line starts at the same left edge without a heading number.
    """
    right = max((g.x1 for item in items if item.rows is None for g in item.glyphs), default=0.0)
    out: list[Item] = []
    for item in items:
        last = out[-1] if out else None
        if last is not None and _continues(last, item, right, unit):
            out[-1] = Item(last.top, item.bottom, last.glyphs + item.glyphs, unit=unit)
        else:
            out.append(item)
    return out


def _continues(a: Item, b: Item, right: float, unit: float) -> bool:
    if a.rows is not None or b.rows is not None or a.running or b.running:
        return False
    head, tail = a.glyphs[-1], b.glyphs[0]
    if head.x1 < right - 6 * unit or head.ch in _SENTENCE_END or tail.x0 > a.glyphs[0].x0 + unit:
        return False
    if b.top - a.bottom > (a.bottom - a.top):
        return False
    return not a.wide and not b.wide and not _HEADING.match("".join(g.ch for g in b.glyphs[:6]))


def assemble(pages: list[list[Item]]) -> tuple[str, list[Line], list[int]]:
    """The document text, its lines, and where each page's text starts."""
    text: list[str] = []
    lines: list[Line] = []
    starts: list[int] = []
    offset = 0
    for number, items in enumerate(pages, 1):
        if number > 1:
            text.append("\f")
            offset += 1
        starts.append(offset)
        left = min((g.x0 for item in items if item.rows is None for g in item.glyphs), default=0.0)
        unit = items[0].unit if items else 5.0
        for item in _reflow(items, unit):
            if item.rows is None:
                raw_line = _spaced(item.glyphs, left, unit)
                new = [] if item.running else shifted(text_lines(raw_line), offset)
                offset = _add(text, raw_line, offset)
            else:
                new = []
                for index, row in enumerate(item.rows):
                    line, offset = _row_line(row, offset, text)
                    if index >= item.skip:
                        new.append(line)
            for line in new:
                line.page = number
            lines.extend(new)
    return "".join(text), lines, starts


def _add(text: list[str], piece: str, offset: int) -> int:
    text.append(piece + "\n")
    return offset + len(piece) + 1


def _row_line(row: list[str], offset: int, text: list[str]) -> tuple[Line, int]:
    cells: list[Cell] = []
    position = offset
    for value in row:
        cells.append(Cell(value, position, position + len(value)))
        position += len(value) + 1
    joined = "\t".join(row)
    return Line(cells, offset, offset + len(joined), separated=True), _add(text, joined, offset)
