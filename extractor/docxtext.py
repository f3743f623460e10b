"""Word (.docx) to text and lines of cells: paragraphs in order, real tables as grids.

Merged cells are expanded into the grid (a horizontal span's extra columns and a vertical
merge's lower rows are empty cells, as a copied table prints them), so the table reader
sees the same shape as for HTML tables and tab-separated text. The document's text is one
line per paragraph and one tab-separated line per table row; offsets point into it, and
`DocxText.places` names the paragraph or table cell each stretch of text came from.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError
from .layout import Cell, Line, shifted, text_lines

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT_TAGS = (f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}noBreakHyphen")


@dataclass
class DocxText:
    text: str
    lines: list[Line]
    places: list[tuple[int, str]] = field(default_factory=list)  # (offset, "paragraph 3" / "table 1, row 2, column 4")


def read_docx(data: bytes, path: str) -> DocxText:
    body = _body(data, path)
    builder = _Builder()
    for element in _blocks(body):
        if element.tag == f"{_W}p":
            builder.paragraph(_paragraph_text(element))
        else:
            builder.table(_grid(element))
    return DocxText("".join(builder.text), builder.lines, builder.places)


def _body(data: bytes, path: str) -> Any:
    import docx  # python-docx; imported here so reading plain text never pays for it
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(io.BytesIO(data)).element.body
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise InputError(f"{path}: the Word file is damaged ({err}); open it in Word or WPS and save it again") from err
    except Exception as err:  # lxml's XMLSyntaxError and friends: the package's XML is broken
        if type(err).__module__.startswith("lxml"):
            raise InputError(
                f"{path}: the Word file's XML is damaged; open it in Word or WPS and save it again"
            ) from err
        raise


def _blocks(parent: Any) -> Iterator[Any]:
    """Paragraphs and tables in reading order; content controls are looked into."""
    for child in parent.iterchildren():
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _blocks(child)


def _paragraph_text(element: Any) -> str:
    parts: list[str] = []
    for node in element.iter(*_TEXT_TAGS):
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        elif node.tag == f"{_W}tab":
            parts.append("\t")
        elif node.tag == f"{_W}noBreakHyphen":
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _cell_text(tc: Any) -> str:
    text = ""
    for paragraph in tc.iter(f"{_W}p"):
        piece = " ".join(_paragraph_text(paragraph).split())
        if text and piece and text[-1].isascii() and piece[0].isascii():
            text += " "  # a Chinese label wrapped over two paragraphs joins without a space
        text += piece
    return text


def _value(element: Any, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else found.get(f"{_W}val", "")


def _grid(table: Any) -> list[list[str]]:
    """The table as a full grid: merged positions are empty strings."""
    rows: list[list[str]] = []
    for tr in table.iterchildren(f"{_W}tr"):
        before = int(_value(tr, f"{_W}trPr/{_W}gridBefore") or 0)
        row = [""] * before
        for tc in tr.iterchildren(f"{_W}tc"):
            span = int(_value(tc, f"{_W}tcPr/{_W}gridSpan") or 1)
            merge = _value(tc, f"{_W}tcPr/{_W}vMerge")
            old_merge = _value(tc, f"{_W}tcPr/{_W}hMerge")  # Word 97 style horizontal merge
            continued = (merge is not None and merge != "restart") or (old_merge is not None and old_merge != "restart")
            row += ["" if continued else _cell_text(tc)] + [""] * (max(span, 1) - 1)
        rows.append(row)
    return rows


class _Builder:
    def __init__(self) -> None:
        self.text: list[str] = []
        self.lines: list[Line] = []
        self.places: list[tuple[int, str]] = []
        self.offset = 0
        self.paragraphs = 0
        self.tables = 0

    def _add(self, piece: str) -> int:
        start = self.offset
        self.text.append(piece + "\n")
        self.offset += len(piece) + 1
        return start

    def paragraph(self, text: str) -> None:
        self.paragraphs += 1
        for piece in text.split("\n"):
            start = self._add(piece)
            self.places.append((start, f"paragraph {self.paragraphs}"))
            self.lines.extend(shifted(text_lines(piece), start))

    def table(self, grid: list[list[str]]) -> None:
        self.tables += 1
        for r, row in enumerate(grid, 1):
            if not any(row):
                continue
            start = self._add("\t".join(row))
            cells, position = [], start
            for c, value in enumerate(row, 1):
                cells.append(Cell(value, position, position + len(value)))
                self.places.append((position, f"table {self.tables}, row {r}, column {c}"))
                position += len(value) + 1
            self.lines.append(Line(cells, start, start + len("\t".join(row)), separated=True))
