"""Table regions and token runs: the layout-independent view the table readers work on.

A report's tables are found by their section headings (or, failing that, by content a
table always prints). Inside a region every cell becomes a `Token`; a `Run` is a maximal
sequence of numbers (a printed row of values) and the text between runs holds the labels.
This is what makes one reader work for every layout: a row label may sit on the same line
as its numbers, on the line before (one cell per line), or wrap onto the next line (PDF
text); the readers score each of those possibilities against the template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .layout import Line
from .normalize import label_key, looks_numeric, norm
from .template import APP_GROUP_HEADINGS, TABLE_TITLES, TABLES, TableId

TokenKind = Literal["num", "text", "empty"]
_END_TITLES = ("存在的主要问题", "其他需要报告的事项", "其他需报告的事项", "其他需要说明的事项")
# Sections 五 and 六 end the tables whatever their wording ("五、存在的主要问题和改进措施").
_LATER_SECTION = re.compile(r"^\s*[#*]*\s*[五六七]\s*[、.．]")
# Every heading and content anchor holds one of these characters (simplified or traditional);
# lines without any are not normalised at all.
_MAY_ANCHOR = re.compile("[情事问問申第复復议議]")
_CONTENT_ANCHORS: dict[TableId, tuple[str, ...]] = {
    "a20": ("第二十条第",),
    "app": ("本年新收政府信息公开申请", "申请人情况"),
    "rl": ("未经复议直接起诉",),
}


@dataclass(slots=True)
class Token:
    kind: TokenKind
    text: str
    start: int
    end: int
    line: int
    col: float  # the cell's horizontal position: cell index (separated lines) or display column (aligned)
    page: int | None = None
    width: float = 1.0  # horizontal extent around col, so wrapped fragments of one header cell can be joined
    # Separated lines: the cell index counted from the line's end (-1 the last). Rows whose labels
    # take different numbers of cells agree on this where they disagree on `col`.
    rcol: float | None = None


@dataclass(slots=True)
class Run:
    """A printed row of values and the text around it."""

    values: list[Token]  # numbers and blanks (empty tokens) in print order
    before: list[Token] = field(default_factory=list)  # text tokens since the previous run
    after: list[Token] = field(default_factory=list)  # text tokens up to the next run
    leading: int = 0  # empty cells between the label and the first number
    trailing: int = 0  # empty cells after the last number

    @property
    def numbers(self) -> list[Token]:
        return [t for t in self.values if t.kind == "num"]


@dataclass(slots=True)
class Region:
    table: TableId
    first_line: int  # the heading line (excluded from the table's tokens)
    end_line: int


def _heading_key(text: str) -> str:
    return norm(text) if len(text) <= 60 and _MAY_ANCHOR.search(text) else ""


def find_regions(lines: list[Line]) -> dict[TableId, Region]:
    """Locate each table's lines: from its heading to the next heading of any kind."""
    # Only short lines can be headings; normalising every prose line would cost more than the parse.
    keys = [_heading_key(line.text) for line in lines]
    headings: dict[TableId, list[int]] = {t: [] for t in TABLES}
    ends: list[int] = []
    for index, key in enumerate(keys):
        if not key or len(key) > 40:
            continue
        for table, title in TABLE_TITLES.items():
            if norm(title) in key and len(key) <= len(norm(title)) + 10:
                headings[table].append(index)
        if len(key) <= 24 and (any(end in key for end in _END_TITLES) or _later_section(lines, index)):
            ends.append(index)
    regions: dict[TableId, Region] = {}
    for table in TABLES:
        for start in headings[table]:
            region = Region(table, start, len(lines))
            if table not in regions or _numbers_in(lines, region, headings, ends) > _numbers_in(
                lines, regions[table], headings, ends
            ):
                regions[table] = region
        if table not in regions or not _numbers_in(lines, regions[table], headings, ends):
            fallback = _content_anchor(keys, table)
            if fallback is not None:
                regions[table] = Region(table, fallback - 1, len(lines))
    boundaries = sorted({r.first_line for r in regions.values()} | set(ends))
    for region in regions.values():
        region.end_line = next((b for b in boundaries if b > region.first_line), len(lines))
    return regions


def _later_section(lines: list[Line], index: int) -> bool:
    """A heading of section 五 or later, worded any way, that is not a row of table 三 (（五）不予处理,
    七、总计 printed one cell per line): a row label is followed by its numbers, a heading by prose."""
    cells = [c for c in lines[index].cells if c.text]
    if len(cells) != 1 or not _LATER_SECTION.match(cells[0].text):
        return False
    if any(group in label_key(cells[0].text) for group in APP_GROUP_HEADINGS):
        return False
    following = next((line for line in lines[index + 1 : index + 4] if line.text), None)
    return following is None or not looks_numeric(next((c.text for c in following.cells if c.text), ""))


def _numbers_in(lines: list[Line], region: Region, headings: dict[TableId, list[int]], ends: list[int]) -> int:
    stops = [i for group in headings.values() for i in group if i > region.first_line] + [
        i for i in ends if i > region.first_line
    ]
    stop = min(stops, default=len(lines))
    return sum(1 for line in lines[region.first_line + 1 : stop] for c in line.cells if looks_numeric(c.text))


def _content_anchor(keys: list[str], table: TableId) -> int | None:
    for index, key in enumerate(keys):
        if any(anchor in key for anchor in _CONTENT_ANCHORS[table]):
            # Start a few lines early so the column headers above the first row are included.
            return max(0, index - (6 if table != "a20" else 0))
    return None


def tokens(lines: list[Line], region: Region) -> list[Token]:
    out: list[Token] = []
    # In space-aligned text a line with one cell (a wrapped label, a header fragment) still has a
    # position; elsewhere one cell per line says nothing about columns.
    aligned = any(lines[i].aligned for i in range(region.first_line + 1, region.end_line))
    for index in range(region.first_line + 1, region.end_line):
        line = lines[index]
        cells = line.cells
        if line.separated and len(cells) == 2 and not cells[0].text and cells[1].text:
            cells = cells[1:]  # "\tX": a web page's cell on its own line; the tab is indentation
        positioned, page = aligned and not line.separated, line.page
        for position, cell in enumerate(cells):
            text = cell.text
            kind: TokenKind = "empty" if not text else "num" if looks_numeric(text) else "text"
            if positioned:
                out.append(
                    Token(kind, text, cell.start, cell.end, index, (cell.x0 + cell.x1) / 2, page, cell.x1 - cell.x0)
                )
            else:
                out.append(Token(kind, text, cell.start, cell.end, index, position, page, rcol=position - len(cells)))
    return out


def runs(stream: list[Token]) -> list[Run]:
    """Group tokens into runs of values; a run never spans two row-lines of a grid."""
    found: list[Run] = []
    pending: list[Token] = []  # text since the previous run: its wrapped tail and the next label
    current: Run | None = None
    empties = 0
    for token in stream:
        if token.kind == "num":
            if current is not None and _new_row(current.values, token):
                found.append(_close(current))
                current = None
            if current is None:
                if found:
                    found[-1].after = pending
                current, pending = Run([], before=pending, leading=empties), []
            current.values.append(token)
            empties = 0
        elif token.kind == "empty":
            if current is not None:
                current.values.append(token)
            else:
                empties += 1
        else:
            if current is not None:
                found.append(_close(current))
                current = None
            pending.append(token)
            empties = 0
    if current is not None:
        found.append(_close(current))
    if found:
        found[-1].after = pending
    return found


def join_split_rows(table_runs: list[Run], width: int) -> list[Run]:
    """Rows printed a few cells per line ("9\t1" / "0\t0" …) come out as several runs with no
    label between them: join them back while they fit in one row of the table."""
    joined: list[Run] = []
    for run in table_runs:
        last = joined[-1] if joined else None
        unlabelled = not any(t.kind == "text" for t in run.before)
        if (
            last is not None
            and unlabelled
            and len(last.numbers) + len(run.numbers) <= width
            and len(last.numbers) < width
        ):
            last.values.extend(run.values)
            last.after, last.trailing = run.after, run.trailing
        else:
            joined.append(run)
    return joined


def _close(run: Run) -> Run:
    while run.values and run.values[-1].kind == "empty":
        run.values.pop()
        run.trailing += 1
    return run


def _new_row(current: list[Token], token: Token) -> bool:
    """A number on a new line starts a new row when rows are printed one per line."""
    last = current[-1]
    if token.line == last.line:
        return False
    same_line_numbers = sum(1 for t in current if t.line == last.line and t.kind == "num")
    return same_line_numbers >= 2


def header_columns(header: list[Token]) -> list[tuple[float, str]]:
    """Header cells as (position, normalised text), fragments printed in one column joined.

    A header wrapped over several lines ("本年新制" above "作数量", "商业" above "企业") is one
    label per column; in one-cell-per-line text, where every cell sits at the same position,
    the whole header comes back as one string in print order.
    """
    texts = [t for t in header if t.kind == "text"]
    if len({t.col for t in texts}) <= 1:
        return [(0.0, "".join(label_key(t.text) for t in texts))]
    clusters: list[tuple[float, float, list[Token]]] = []  # (left, right, fragments)
    for token in sorted(texts, key=lambda t: t.col):
        left, right = token.col - token.width / 2, token.col + token.width / 2
        if clusters and left < clusters[-1][1] and right > clusters[-1][0]:
            l0, r0, fragments = clusters[-1]
            clusters[-1] = (min(l0, left), max(r0, right), [*fragments, token])
        else:
            clusters.append((left, right, [token]))
    return [
        (fragments[0].col, "".join(label_key(t.text) for t in sorted(fragments, key=lambda t: (t.line, t.col))))
        for _, _, fragments in clusters
    ]
