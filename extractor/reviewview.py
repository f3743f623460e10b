"""What a reviewer sees of one queue item, independent of terminal or browser.

`excerpts` cuts the source text around every span of an item (a few lines either side,
overlapping windows merged) and `segments` splits an excerpt into plain and highlighted runs;
`cell_rows` lines up each cell as the parser read it, as the model read it, the suggestion
and the final value. `cli_review` prints these, `reviewapp` renders them as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .review import QueueItem
from .template import (
    A20_COLUMN_LABELS,
    A20_ITEM_LABELS,
    APP_COLUMN_LABELS,
    APP_ROWS,
    RL_COLUMN_LABELS,
    RL_GROUP_LABELS,
)

LINES_AROUND = 2
MIN_CONTEXT, MAX_LINES = 60, 10  # characters and lines either side where lines are short
MAX_WINDOW = 2400  # characters; a longer window is cut into one per span

DECISION_LABELS = {
    "value": "value set by reviewer",
    "suggestion": "suggestion accepted",
    "confirmed": "confirmed as printed",
}


@dataclass(frozen=True, order=True)
class Mark:
    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Excerpt:
    start: int
    end: int
    marks: list[Mark]


@dataclass(frozen=True)
class CellRow:
    key: str
    label: str
    parser: Any
    model: Any
    suggestion: Any
    final: Any
    decided: Any
    where: str | None = None  # the place in the published file (PDF page, Word table cell), when known


def item_marks(item: QueueItem, text_length: int) -> list[Mark]:
    spans = [(s, e, key) for key, (s, e) in item.cell_spans.items()]
    spans += [(s, e, reader) for reader, (s, e) in item.spans.items()]
    return sorted(Mark(s, e, label) for s, e, label in spans if 0 <= s <= e <= text_length)


def excerpts(text: str, marks: list[Mark], around: int = LINES_AROUND) -> list[Excerpt]:
    windows: list[list[int]] = []
    for mark in marks:
        start, end = _line_start(text, mark.start, around), _line_end(text, mark.end, around)
        if windows and start <= windows[-1][1] and end - windows[-1][0] <= MAX_WINDOW:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    return [Excerpt(s, e, [m for m in marks if s <= m.start and m.end <= e]) for s, e in windows]


def segments(text: str, excerpt: Excerpt) -> list[tuple[str, list[str]]]:
    """The excerpt as runs of text, each with the labels of the spans covering it (none: plain)."""
    cuts = sorted({excerpt.start, excerpt.end, *(m.start for m in excerpt.marks), *(m.end for m in excerpt.marks)})
    runs = []
    for left, right in pairwise(cuts):
        if left == right:
            continue
        labels = [m.label for m in excerpt.marks if m.start <= left and right <= m.end]
        runs.append((text[left:right], labels))
    return runs


def cell_rows(item: QueueItem) -> list[CellRow]:
    decided = (item.resolution or {}).get("values", {})
    keys = list(item.cells) or sorted(set(_per_cell(item.parser, [])) | set(decided))
    return [
        CellRow(
            key,
            cell_label(key),
            _per_cell(item.parser, item.cells).get(key),
            _per_cell(item.model, item.cells).get(key),
            _per_cell(item.suggestion, item.cells).get(key),
            item.final.get(key),
            decided.get(key),
            item.places.get(key),
        )
        for key in keys
    ]


def cell_label(key: str) -> str:
    """The printed row and column labels of a cell key, e.g. 本年新收政府信息公开申请数量 · 自然人."""
    parts = key.split(".")
    if len(parts) != 3:
        return ""
    table, row, column = parts
    if table == "app":
        labels = {r.key: r.labels[0] for version in APP_ROWS.values() for r in version}
        return f"{labels.get(row, row)} · {APP_COLUMN_LABELS.get(column, (column,))[0]}"
    if table == "rl":
        return f"{RL_GROUP_LABELS.get(row, (row,))[0]} · {RL_COLUMN_LABELS.get(column, (column,))[0]}"
    if table == "a20":
        return f"{A20_ITEM_LABELS.get(row, (row,))[0]} · {A20_COLUMN_LABELS.get(column, (column,))[0]}"
    return ""


def decision_label(item: QueueItem) -> str:
    if not item.resolution:
        return ""
    decision = str(item.resolution.get("decision", ""))
    if decision == "confirmed" and item.rule == "table.missing":
        return "confirmed: tables not published as text"
    return DECISION_LABELS.get(decision, decision)


def _per_cell(value: Any, cells: list[str]) -> dict[str, Any]:
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if value is not None and len(cells) == 1:
        return {cells[0]: value}
    return {}


def _line_start(text: str, offset: int, lines: int) -> int:
    """Start of the line `lines` lines above `offset`, further up while the lines are short
    (one cell per line: the row label may be eight lines up)."""
    position, taken = offset, 0
    while taken <= lines or (offset - position < MIN_CONTEXT and taken <= MAX_LINES):
        newline = text.rfind("\n", 0, position)
        if newline < 0:
            return 0
        position, taken = newline, taken + 1
    return position + 1


def _line_end(text: str, offset: int, lines: int) -> int:
    """End of the line `lines` lines below `offset` (further while the lines are short)."""
    position, taken = offset, 0
    while taken <= lines or (position - offset < MIN_CONTEXT and taken <= MAX_LINES):
        newline = text.find("\n", position)
        if newline < 0:
            return len(text)
        position, taken = newline + 1, taken + 1
    return position - 1
