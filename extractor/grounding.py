"""Evidence: find the model's quotes in the original text, or refuse its value.

For a table cell the model quotes the row label and the number as printed. The label is
searched in a squashed copy of the text (half-width, simplified, no spaces or punctuation,
with a map back to original offsets), so full-width digits, traditional characters and
labels wrapped over two lines still match. The number must then be one of the numbers
printed after that label in the same row, compared by value (`1,234` = `１２３４`); the one
at the cell's column position is preferred, which also gives the exact offsets. A fact
from the prose must be inside its quote. Anything not found is ungrounded and is never
accepted (rule `extract.ungrounded`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from .excerpt import TAG
from .normalize import IGNORED, halfwidth, read_number, simplified, strip_numbering
from .schema import ModelReading
from .template import (
    A20_ITEMS,
    ALL_KEYS,
    APP_COLUMNS,
    RL_COLUMNS,
    RL_GROUPS,
    TABLE_TITLES,
    TableId,
    TemplateVersion,
    key_version,
    table_of,
    value_kind,
)

_CELL_NUMBER = re.compile(
    r"(?<![\w.])(?:(?:增加|减少|增|减|減|[+\-−])\s*)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*(?:万元|萬元|元))?(?![\w.%])"
    r"|(?<!\S)[-—–/]+(?!\S)"
)
_PROSE_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_NONE_SAID = re.compile(r"未|没有|沒有|无|無")
ROW_WINDOW = 3000  # characters after a label in which its row's numbers must lie
MIN_LABEL = 2


@dataclass(frozen=True)
class Evidence:
    key: str
    value: int | float
    start: int
    end: int
    exact: bool = True  # found at the cell's column position, not just somewhere in its row


@dataclass(frozen=True)
class Refused:
    key: str
    value: int | float
    reason: str
    quote: str


@dataclass
class GroundedReading:
    cells: dict[str, Evidence] = field(default_factory=dict)
    facts: dict[str, Evidence] = field(default_factory=dict)
    refused: dict[str, Refused] = field(default_factory=dict)
    unknown_keys: list[str] = field(default_factory=list)


class _Token(NamedTuple):
    start: int
    end: int
    text: str


class SourceText:
    """The original text prepared for many searches; each form is built on first use (a reading
    with no cells or facts needs none of them)."""

    def __init__(self, text: str, kind: str = "text") -> None:
        self.text, self.kind = text, kind

    @cached_property
    def _visible(self) -> str:
        return TAG.sub(lambda m: " " * len(m.group()), self.text) if self.kind == "html" else self.text

    @cached_property
    def flat(self) -> str:
        return halfwidth(self._visible)  # same length as the original: offsets carry over

    @cached_property
    def _squashed(self) -> _Squashed:
        return _Squashed(self._visible)

    @cached_property
    def tokens(self) -> list[_Token]:
        return [_Token(m.start(), m.end(), m.group()) for m in _CELL_NUMBER.finditer(self.flat)]

    @cached_property
    def _starts(self) -> list[int]:
        return [t.start for t in self.tokens]

    def label_spans(self, label: str) -> list[tuple[int, int]]:
        """Original (start, end) of every place the label is printed, however it is spaced or wrapped."""
        # With its list marker first ("3.其他" is a row, "其他" also a column header), then without.
        for form in (label.strip(), strip_numbering(label.strip())):
            needle = squash(form)
            spans = list(self._find(needle)) if len(needle) >= MIN_LABEL else []
            if spans:
                return spans
        needle = squash(strip_numbering(label.strip()))
        # The model may quote a longer or shorter form of a long label than the one printed.
        return list(self._find(needle[:6])) if len(needle) > 8 else []

    def title_region(self, table: TableId) -> tuple[int, int] | None:
        """From the table's printed title to the end: where its labels are, when the parser found no region."""
        at = self._squashed.text.rfind(squash(TABLE_TITLES[table]))
        return (self._squashed.offset(at), len(self.text)) if at >= 0 else None

    def quote_span(self, needle: str) -> tuple[int, int] | None:
        """Original (start, end) of the first place the squashed `needle` is printed."""
        at = self._squashed.text.find(needle)
        return self._squashed.span(at, len(needle)) if at >= 0 else None

    def _find(self, needle: str) -> Iterator[tuple[int, int]]:
        squashed = self._squashed
        at = squashed.text.find(needle)
        while at >= 0:
            yield squashed.span(at, len(needle))
            at = squashed.text.find(needle, at + 1)

    def numbers_after(self, end: int, count: int) -> list[_Token]:
        first = bisect.bisect_left(self._starts, end)
        return [t for t in self.tokens[first : first + count] if t.start < end + ROW_WINDOW]


class _SquashMap(dict[int, str]):
    """str.translate table: each character to its matching form, or to _GAP when it is dropped."""

    def __missing__(self, code: int) -> str:
        mapped = simplified(halfwidth(chr(code)))
        mapped = mapped if len(mapped) == 1 else chr(code)
        self[code] = value = _GAP if IGNORED.match(mapped) or mapped == _GAP else mapped
        return value


_GAP = "\x00"
_SQUASH_MAP = _SquashMap()
_KEPT = re.compile("[^\x00]+")


def squash(text: str) -> str:
    """Matching form of `text`: half-width, simplified, no spaces or punctuation."""
    return _joined(text.translate(_SQUASH_MAP))


def _joined(mapped: str) -> str:
    """The kept characters of a `_SQUASH_MAP` translation."""
    # Hong Kong and Taiwan print 資訊 where the mainland prints 信息 (same length, so offsets hold).
    return mapped.replace(_GAP, "").replace("资讯", "信息")


class _Squashed:
    """The squashed text and the way back to original offsets: one entry per run of kept
    characters rather than one per character (a report has a few thousand runs, ten times as
    many characters)."""

    def __init__(self, text: str) -> None:
        mapped = text.translate(_SQUASH_MAP)
        self.text = _joined(mapped)
        self._at: list[int] = []  # where each run starts in the squashed text
        self._from: list[int] = []  # and in the original
        length = 0
        for run in _KEPT.finditer(mapped):
            self._at.append(length)
            self._from.append(run.start())
            length += run.end() - run.start()

    def offset(self, at: int) -> int:
        run = bisect.bisect_right(self._at, at) - 1
        return self._from[run] + at - self._at[run]

    def span(self, at: int, length: int) -> tuple[int, int]:
        return self.offset(at), self.offset(at + length - 1) + 1


def ground(
    source: SourceText, reading: ModelReading, regions: Mapping[TableId, tuple[int, int]] | None = None
) -> GroundedReading:
    out, regions = GroundedReading(), regions or {}
    # The version the model's own keys imply decides where a 2019/2021 shared column of table 二 sits.
    versions = {
        v
        for v in (key_version(c.key) for c in reading.cells if c.key.startswith("a20.") and c.key in ALL_KEYS)
        if v is not None
    }
    for cell in reading.cells:
        if cell.key not in ALL_KEYS:
            out.unknown_keys.append(cell.key)
            continue
        if cell.key in out.cells or cell.key in out.refused:
            continue  # the first reading of a key stands; a repeat is the model's noise
        table = table_of(cell.key)
        region = regions.get(table) or source.title_region(table)
        result = ground_cell(source, cell.key, cell.value, cell.row_label, cell.printed, region, versions)
        if isinstance(result, Evidence):
            out.cells[cell.key] = result
        else:
            out.refused[cell.key] = result
    for fact in reading.facts:
        if fact.name in out.facts:
            continue
        found = ground_fact(source, fact.name, fact.value, fact.quote)
        if isinstance(found, Evidence):
            out.facts[fact.name] = found
        else:
            out.refused[f"narrative.{fact.name}"] = found
    return out


def ground_cell(
    source: SourceText,
    key: str,
    value: int | float,
    label: str,
    printed: str,
    region: tuple[int, int] | None = None,
    versions: set[TemplateVersion] | None = None,
) -> Evidence | Refused:
    quote = f"{label} {printed}"
    kind = value_kind(key)
    target = read_number(printed, kind)
    if target is None or target != value:
        return Refused(key, value, f"the model says {value} but quotes the number as printed {printed!r}", quote)
    spans = sorted(source.label_spans(label), key=lambda s: not (region and region[0] <= s[0] < region[1]))
    if not spans:
        return Refused(key, value, f"the row label {label!r} the model quotes is not in the text", quote)
    width = _row_width(key)
    rows = [source.numbers_after(end, width) for _, end in spans]
    for row in rows:
        for position in _positions(key, versions or set()):
            if position < len(row) and read_number(row[position].text, kind) == target:
                return Evidence(key, value, row[position].start, row[position].end)
    for row in rows:
        for token in row:
            if read_number(token.text, kind) == target:
                return Evidence(key, value, token.start, token.end, exact=False)
    return Refused(key, value, f"{printed!r} is not printed in the row labelled {label!r}", quote)


def ground_fact(source: SourceText, name: str, value: int | float, quote: str) -> Evidence | Refused:
    key = f"narrative.{name}"
    needle = squash(quote)
    span = source.quote_span(needle) if len(needle) >= MIN_LABEL else None
    if span is None:
        return Refused(key, value, f"the quote {quote!r} is not in the text", quote)
    start, end = span
    for match in _PROSE_NUMBER.finditer(source.flat, start, end):
        if read_number(match.group(), "amount") == value:
            return Evidence(key, value, match.start(), match.end())
    if value == 0 and _NONE_SAID.search(source.flat, start, end):
        return Evidence(key, value, start, end)
    return Refused(key, value, f"the quote {quote!r} does not state {value}", quote)


def _row_width(key: str) -> int:
    table = table_of(key)
    if table == "app":
        return len(APP_COLUMNS)
    if table == "rl":
        return len(RL_GROUPS) * len(RL_COLUMNS)
    return max(len(cols) for items in A20_ITEMS.values() for cols in items.values())


def _positions(key: str, versions: set[TemplateVersion]) -> list[int]:
    """Where the cell's number sits among the numbers that follow its label, by layout."""
    table, row, column = key.split(".")
    if table == "app":
        return [APP_COLUMNS.index(column)]
    if table == "rl":  # label of the whole table (header) or of the group printed just before its five numbers
        return [RL_GROUPS.index(row) * len(RL_COLUMNS) + RL_COLUMNS.index(column), RL_COLUMNS.index(column)]
    layouts = [A20_ITEMS[v] for v in sorted(versions)] if len(versions) == 1 else list(A20_ITEMS.values())
    return sorted(
        {cols.index(column) for items in layouts for item, cols in items.items() if item == row and column in cols}
    )
