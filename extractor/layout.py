"""Text to lines of cells, whatever the layout; every cell keeps its offsets.

All layouts reduce to one shape the table reader understands: a list of `Line`s, each a
list of `Cell`s in reading order. Tab-separated rows and Markdown pipe rows split on their
separators (and keep empty cells, which are merged or blank cells); space-aligned text (as
`pdftotext -layout` prints it) splits on runs of two or more spaces and records each cell's
display columns, so numbers can be put under their column headers; one-cell-per-line text
(copied from a web page) is simply one cell per line. HTML tables arrive already as lines
from `htmlgrid`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalize import looks_numeric


@dataclass(slots=True)
class Cell:
    text: str
    start: int
    end: int
    x0: int = 0  # display columns (wide characters count 2), only meaningful in space-aligned lines
    x1: int = 0

    @property
    def empty(self) -> bool:
        return not self.text


@dataclass(slots=True)
class Line:
    cells: list[Cell]
    start: int
    end: int
    separated: bool = False  # cells were delimited explicitly (tab, pipe, HTML cell)
    aligned: bool = False  # cells were found by column alignment with spaces
    page: int | None = field(default=None)

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.cells if c.text)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_SPACE_RUN = re.compile(r"(?:[ \u3000\u00a0]{2,}|\t)")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_TOKEN = re.compile(r"\S+")
_INNER_SPACE = re.compile(r"\s")
# Page furniture printed by PDF converters between table rows: "- 4 -", "第4页", "4 / 12", "第 4 页 共 12 页".
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}"
    r"|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)\s*$",
    re.IGNORECASE,
)


def text_lines(text: str) -> list[Line]:
    """Split plain text or Markdown into lines of cells."""
    lines: list[Line] = []
    for match in _LINE.finditer(text):
        raw = match.group().rstrip("\r\n")
        start = match.start()
        if not raw and match.start() == len(text):
            break
        lines.append(_split_line(raw, start))
    return lines


def shifted(lines: list[Line], offset: int) -> list[Line]:
    """Lines read from a piece of a larger text, moved to where the piece starts in it."""
    for line in lines:
        line.start += offset
        line.end += offset
        for cell in line.cells:
            cell.start += offset
            cell.end += offset
    return lines


def _split_line(raw: str, start: int) -> Line:
    end = start + len(raw)
    if _PAGE_NUMBER.match(raw):
        return Line([], start, end)
    if not raw.strip():
        # An empty line is an empty cell: between rows it is ignored, but inside a run of
        # numbers copied one cell per line it is a cell printed blank.
        return Line([Cell("", start, end)], start, end, separated=True)
    if ("|" in raw and raw.strip().startswith("|")) or raw.count("|") >= 2:
        if _MD_RULE.match(raw):
            return Line([], start, end, separated=True)
        return Line(_split_on(raw, start, "|", outer=True), start, end, separated=True)
    if "\t" not in raw and " " not in raw.strip() and "\u3000" not in raw.strip():
        # One word: most lines of a web copy, and most prose. Its position still matters in PDF text.
        text = raw.strip(" \u3000\u00a0")
        lead = raw.index(text)
        return Line([_positioned(text, start + lead, width(raw[:lead]))], start, end)
    if "\t" in raw:
        body = raw[1:] if raw.startswith("\t") else raw
        offset = start + (len(raw) - len(body))
        return Line(_split_on(body, offset, "\t", outer=False), start, end, separated=True)
    cells = _split_spaces(raw, start)
    return Line(cells, start, end, aligned=len(cells) > 1)


def _split_on(raw: str, start: int, sep: str, *, outer: bool) -> list[Cell]:
    parts: list[Cell] = []
    position = 0
    pieces = raw.split(sep)
    if outer:
        # Markdown rows start and end with a pipe: those produce no cell.
        if pieces and not pieces[0].strip():
            position += len(pieces[0]) + 1
            pieces = pieces[1:]
        if pieces and not pieces[-1].strip():
            pieces = pieces[:-1]
    for piece in pieces:
        parts.append(_cell(piece, start + position))
        position += len(piece) + 1
    return parts


def _cell(piece: str, start: int) -> Cell:
    stripped = piece.strip(" \u3000\u00a0\t")
    lead = len(piece) - len(piece.lstrip(" \u3000\u00a0\t"))
    return Cell(stripped, start + lead, start + lead + len(stripped))


def _split_spaces(raw: str, start: int) -> list[Cell]:
    cells: list[Cell] = []
    bounds = [0]
    for separator in _SPACE_RUN.finditer(raw):
        bounds += [separator.start(), separator.end()]
    bounds.append(len(raw))
    x, done = 0, 0  # display column of raw[done], kept as the pieces go by
    for left, right in zip(bounds[::2], bounds[1::2], strict=False):
        piece = raw[left:right]
        text = piece.strip()
        if not text:
            continue
        x += width(raw[done:left])
        done = left
        if _INNER_SPACE.search(text):
            cells.extend(_split_trailing_numbers(piece, start + left, x))
        else:  # one word, most often a number: nothing to split
            lead = piece.index(text)
            cells.append(_positioned(text, start + left + lead, x + width(piece[:lead])))
    return cells


_SIGNS = frozenset(["增", "减", "增加", "减少", "減", "増", "+", "＋"])
_UNITS = frozenset(["万元", "元", "萬元", "件", "个", "個", "条", "條", "项", "項"])


def _attach_signs_and_units(piece: str, tokens: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """A sign or unit printed apart from its number ("减 1043", "7249.4746 万元") belongs to it."""
    out: list[tuple[str, int]] = []
    for text, at in tokens:
        signed = out and out[-1][0] in _SIGNS and looks_numeric(text)
        with_unit = out and text in _UNITS and looks_numeric(out[-1][0])
        if signed or with_unit:
            out[-1] = (piece[out[-1][1] : at + len(text)], out[-1][1])
        else:
            out.append((text, at))
    return out


def _split_trailing_numbers(piece: str, start: int, x_base: int) -> list[Cell]:
    """'（一）予以公开 0 0 1' or '0 0 1' printed with single spaces: split the numbers off.

    `x_base` is the display column where the piece starts."""
    tokens = _attach_signs_and_units(piece, [(m.group(), m.start()) for m in _TOKEN.finditer(piece)])
    cut = len(tokens)
    while cut > 0 and looks_numeric(tokens[cut - 1][0]):
        cut -= 1
    if cut == len(tokens):
        return [
            _positioned(
                piece[tokens[0][1] : tokens[-1][1] + len(tokens[-1][0])],
                start + tokens[0][1],
                x_base + width(piece[: tokens[0][1]]),
            )
        ]
    cells: list[Cell] = []
    if cut > 0:
        head_end = tokens[cut - 1][1] + len(tokens[cut - 1][0])
        cells.append(
            _positioned(piece[tokens[0][1] : head_end], start + tokens[0][1], x_base + width(piece[: tokens[0][1]]))
        )
    for token, offset in tokens[cut:]:
        cells.append(_positioned(token, start + offset, x_base + width(piece[:offset])))
    return cells


def _positioned(text: str, start: int, x0: int) -> Cell:
    return Cell(text, start, start + len(text), x0, x0 + width(text))


# East Asian wide and full-width ranges (the characters a report prints that take two columns).
_WIDE = re.compile("[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")


def width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns."""
    return len(text) if text.isascii() else len(text) + len(_WIDE.findall(text))
