"""PDF to text and lines of cells, page by page, with pypdfium2 (PDFium; Apache/BSD licensed).

Each page's characters are read with their boxes, and its ruling lines from the page's
path objects; ruled tables (see `pdfgrid`) become grids whose cells come from the table's
borders, and `pdflines` lays out the rest. The document's text is the pages' texts joined
by form feeds; every offset points into it, and `PdfText.pages` says where each page's
text starts, so a position is also "page N, characters a–b of that page". A PDF without
any text (a scan) gives no lines: `ingest` reports it instead of refusing it.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from .errors import InputError
from .layout import Line
from .pdfgrid import Edge, find_grids
from .pdflines import Glyph, Item, assemble, group_lines, has_gap, join_tables, mark_running, table_rows, unit_of

_BLANKS = frozenset("\xa0\u3000\ufffe\uffff\u200b")


@dataclass
class PdfText:
    text: str
    lines: list[Line]
    pages: list[int]  # offset in `text` where each page's text starts
    image_pages: list[int]  # 1-based pages that show images but have no text


def read_pdf(data: bytes, path: str) -> PdfText:
    document = _open(data, path)
    try:
        pages = [_read_page(document[i]) for i in range(len(document))]
    finally:
        document.close()
    image_pages = [n for n, (items, images, _) in enumerate(pages, 1) if images and not items]
    items = [page_items for page_items, _, _ in pages]
    mark_running(items, [height for _, _, height in pages])
    join_tables(items)
    text, lines, starts = assemble(items)
    return PdfText(text, lines, starts, image_pages)


def _open(data: bytes, path: str) -> pdfium.PdfDocument:
    tail = data[-4096:]
    if b"%%EOF" not in tail:
        raise InputError(f"{path}: the PDF is truncated (it has no end-of-file marker); download or save it again")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        if err.err_code == raw.FPDF_ERR_PASSWORD:
            raise InputError(
                f"{path}: the PDF is encrypted with a password; open it, remove the protection (or print it to a new "
                "PDF) and try again"
            ) from err
        raise InputError(f"{path}: the PDF is damaged and cannot be read ({err}); download or save it again") from err


# ---- one page ------------------------------------------------------------------------


def _read_page(page: pdfium.PdfPage) -> tuple[list[Item], int, float]:
    height = page.get_height()
    glyphs = _glyphs(page, height)
    horizontal: list[Edge] = []
    vertical: list[Edge] = []
    images = _shapes(page.raw, height, horizontal, vertical, (1, 0, 0, 1, 0, 0), 0)
    grids = [g for g in find_grids(horizontal, vertical) if (len(g.xs) - 1) * (len(g.ys) - 1) >= 2]
    unit = unit_of(glyphs)
    inside: dict[int, list[Glyph]] = {i: [] for i in range(len(grids))}
    free: list[Glyph] = []
    for glyph in glyphs:
        cx, cy = (glyph.x0 + glyph.x1) / 2, (glyph.top + glyph.bottom) / 2
        index = next((i for i, g in enumerate(grids) if g.locate(cx, cy) is not None), None)
        (free if index is None else inside[index]).append(glyph)
    items = [
        Item(line[0].top, max(g.bottom for g in line), line, unit=unit, wide=has_gap(line, unit))
        for line in group_lines(free)
    ]
    for index, grid in enumerate(grids):
        rows = table_rows(grid, inside[index], unit)
        items.append(Item(grid.top, grid.bottom, rows=rows, unit=unit, xs=grid.xs))
    items.sort(key=lambda item: item.top)
    page.close()
    return items, images, height


def _glyphs(page: pdfium.PdfPage, height: float) -> list[Glyph]:
    textpage = page.get_textpage()
    out: list[Glyph] = []
    rect = raw.FS_RECTF()
    handle, box = textpage.raw, raw.FPDFText_GetLooseCharBox
    try:
        # One call for all the characters; boxes one by one (PDFium has no bulk call for them).
        text = textpage.get_text_range(0, textpage.count_chars(), errors="replace")
        for index, ch in enumerate(text):
            if ch <= " " or ch in _BLANKS or not box(handle, index, rect):
                continue  # spaces and line breaks are rebuilt from the positions
            out.append(Glyph(ch, rect.left, rect.right, height - rect.top, height - rect.bottom))
    finally:
        textpage.close()
    return out


def _shapes(parent: object, height: float, hs: list[Edge], vs: list[Edge], outer: tuple[float, ...], depth: int) -> int:
    """Collect ruling segments from path objects (inside forms too); return the number of images."""
    form = depth > 0
    count = raw.FPDFFormObj_CountObjects(parent) if form else raw.FPDFPage_CountObjects(parent)
    images = 0
    for index in range(count):
        obj = raw.FPDFFormObj_GetObject(parent, index) if form else raw.FPDFPage_GetObject(parent, index)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == raw.FPDF_PAGEOBJ_IMAGE:
            images += 1
        elif kind == raw.FPDF_PAGEOBJ_FORM and depth < 4:
            images += _shapes(obj, height, hs, vs, _compose(_matrix(obj), outer), depth + 1)
        elif kind == raw.FPDF_PAGEOBJ_PATH and _visible(obj):
            _segments(obj, _compose(_matrix(obj), outer), height, hs, vs)
    return images


def _matrix(obj: object) -> tuple[float, ...]:
    m = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(obj, m):
        return (1, 0, 0, 1, 0, 0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: tuple[float, ...], outer: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _visible(obj: object) -> bool:
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not raw.FPDFPath_GetDrawMode(obj, fill, stroke):
        return True
    if not fill.value and not stroke.value:
        return False
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    getter = raw.FPDFPageObj_GetStrokeColor if stroke.value else raw.FPDFPageObj_GetFillColor
    if getter(obj, r, g, b, a):
        return a.value > 0 and min(r.value, g.value, b.value) < 230  # white lines hide nothing
    return True


def _segments(obj: object, m: tuple[float, ...], height: float, hs: list[Edge], vs: list[Edge]) -> None:
    x, y = ctypes.c_float(), ctypes.c_float()
    start: tuple[float, float] | None = None
    last: tuple[float, float] | None = None
    for index in range(raw.FPDFPath_CountSegments(obj)):
        segment = raw.FPDFPath_GetPathSegment(obj, index)
        raw.FPDFPathSegment_GetPoint(segment, x, y)
        point = (m[0] * x.value + m[2] * y.value + m[4], height - (m[1] * x.value + m[3] * y.value + m[5]))
        kind = raw.FPDFPathSegment_GetType(segment)
        if kind == raw.FPDF_SEGMENT_LINETO and last is not None:
            _edge(last, point, hs, vs)
        if kind == raw.FPDF_SEGMENT_MOVETO:
            start = point
        last = point
        if raw.FPDFPathSegment_GetClose(segment) and start is not None:
            _edge(point, start, hs, vs)
            last = start


def _edge(p: tuple[float, float], q: tuple[float, float], hs: list[Edge], vs: list[Edge]) -> None:
    if abs(p[1] - q[1]) <= 1.0:
        hs.append(((p[1] + q[1]) / 2, min(p[0], q[0]), max(p[0], q[0])))
    elif abs(p[0] - q[0]) <= 1.0:
        vs.append(((p[0] + q[0]) / 2, min(p[1], q[1]), max(p[1], q[1])))
