"""Write reports as Word and PDF files, for the document-reader tests and the PDF benchmark.

A report is a list of blocks: paragraphs and tables whose cells carry row and column spans
(the shape `synth` builds, or one recovered from a seed's text by `blocks_from_text`).
`write_docx` uses python-docx (a runtime dependency, always there); `write_pdf` uses
reportlab with the Adobe CJK font STSong-Light, which PDF readers know without embedding,
so no font package is needed; `docx_to_pdf` uses LibreOffice when `soffice` is installed
(Debian: libreoffice-writer-nogui fonts-noto-cjk), and returns None otherwise.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# (text, rowspan, colspan); "|" in a header cell's text is where a printed label wraps.
Cell = tuple[str, int, int]


@dataclass
class Block:
    kind: str  # "title", "h", "p", "table"
    text: str = ""
    rows: list[list[Cell]] = field(default_factory=list)


# ---------------------------------------------------------------- blocks


def synth_blocks(report: object, rng: random.Random, *, noise: bool = False) -> list[Block]:
    """A synthetic report's blocks, with the table spans `synth` gives its HTML layout."""
    import synth

    style = synth._style(rng, noise)  # the renderer's own choices, so labels and numbers match gold
    out: list[Block] = []
    for block in synth._blocks(report, style):
        rows = [[(text, rs, cs) for text, rs, cs, _ in row] for row in block.rows]
        out.append(Block(block.kind, block.text.replace("\n", ""), rows))
    return out


def blocks_from_text(text: str) -> list[Block]:
    """Recover paragraphs and tables from a text layout (tab rows, or one cell per line).

    A cell left empty at the start of a row is the lower part of a cell merged from the row
    above (that is how a copied table prints a rowspan), so it becomes a vertical merge; a
    row shorter than the table gets its last cell spread over the rest, as a colspan prints.
    """
    blocks: list[Block] = []
    grid: list[list[str]] = []
    row: list[str] | None = None

    def close_table() -> None:
        nonlocal grid
        if grid:
            blocks.append(Block("table", rows=_spans(grid)))
        grid = []

    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if line.startswith("\t") and "\t" not in line[1:]:
            if row is None:
                row = []
                grid.append(row)
            row.append(line[1:].strip())
            continue
        row = None
        if not line.strip():
            continue
        if "\t" in line:
            grid.append([c.strip() for c in line.rstrip("\t").split("\t")])
            continue
        close_table()
        blocks.append(Block("p", line.strip()))
    close_table()
    return blocks


def _spans(grid: list[list[str]]) -> list[list[Cell]]:
    width = max(len(r) for r in grid)
    owner: dict[tuple[int, int], tuple[int, int]] = {}  # grid position -> (row, column) of its merged cell
    spans: dict[tuple[int, int], list[int]] = {}
    for r, cells in enumerate(grid):
        lead = next((i for i, t in enumerate(cells) if t), len(cells))
        for c in range(width):
            top = owner.get((r - 1, c))
            if c < lead and top is not None and spans[top][1] == 1 and top[1] == c:
                spans[top][0] += 1
                owner[(r, c)] = top
            elif c < len(cells) or c == 0:
                owner[(r, c)] = (r, c)
                spans[(r, c)] = [1, 1]
            else:
                last = owner[(r, c - 1)]
                if last[0] == r:
                    spans[last][1] += 1
                owner[(r, c)] = last
    out: list[list[Cell]] = [[] for _ in grid]
    for (r, c), (rs, cs) in sorted(spans.items()):
        out[r].append((grid[r][c] if c < len(grid[r]) else "", rs, cs))
    return out


def placed(rows: list[list[Cell]]) -> tuple[list[tuple[int, int, Cell]], int]:
    """Each cell with its grid row and first column, and the grid's width."""
    taken: set[tuple[int, int]] = set()
    out: list[tuple[int, int, Cell]] = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, cell))
            taken.update((r + dr, c + dc) for dr in range(cell[1]) for dc in range(cell[2]))
            c += cell[2]
    return out, max((c + cell[2] for _, c, cell in out), default=1)


def column_shares(rows: list[list[Cell]]) -> list[float]:
    """Column widths as shares of the table, by the longest text each column holds (as an author sizes them)."""
    cells, width = placed(rows)
    longest = [8] * width  # room for a four-digit number
    for _, c, (text, _, cs) in cells:
        if cs == 1:
            printed = max(text.split("|"), key=len)  # header cells wrap where "|" is
            longest[c] = max(longest[c], min(sum(2 if ord(ch) > 0x2E7F else 1 for ch in printed), 24))
    weights = [n + 6 for n in longest]  # cell padding
    return [n / sum(weights) for n in weights]


# ---------------------------------------------------------------- Word


def write_docx(blocks: list[Block], path: Path, *, ruled: bool = True, header: str = "") -> Path:
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    section = document.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    footer = section.footer.paragraphs[0]
    footer.add_run("- ")
    field_xml = OxmlElement("w:fldSimple")
    field_xml.set(qn("w:instr"), "PAGE")
    footer._p.append(field_xml)
    footer.add_run(" -")
    for block in blocks:
        if block.kind == "table":
            _docx_table(document, block.rows, ruled)
        elif block.kind in ("title", "h"):
            document.add_heading(block.text, level=1 if block.kind == "title" else 2)
        else:
            document.add_paragraph(block.text)
    document.save(str(path))
    return path


def _docx_table(document: object, rows: list[list[Cell]], ruled: bool) -> None:
    from docx.shared import Cm, Pt

    cells, width = placed(rows)
    table = document.add_table(rows=len(rows), cols=width)  # type: ignore[attr-defined]
    if ruled:
        table.style = "Table Grid"
    table.autofit = False
    shares = column_shares(rows)
    for grid_column, share in zip(table._tbl.tblGrid.gridCol_lst, shares, strict=True):
        grid_column.w = Cm(15.9 * share)  # LibreOffice sizes columns by the table grid
    for column, share in zip(table.columns, shares, strict=True):
        for cell in column.cells:
            cell.width = Cm(15.9 * share)
    for r, c, (text, rs, cs) in cells:
        target = table.cell(r, c)
        if rs > 1 or cs > 1:
            target = target.merge(table.cell(r + rs - 1, c + cs - 1))
        target.text = text.replace("|", "")
        for run in target.paragraphs[0].runs:
            run.font.size = Pt(9)  # tables are usually set smaller than the body text


# ---------------------------------------------------------------- PDF


def write_pdf(
    blocks: list[Block],
    path: Path,
    *,
    ruled: bool = True,
    header: str = "",
    footer: str = "- {n} -",
    font_size: float = 9,
    password: object = None,
    repeat_header: int = 0,
) -> Path:
    """A text PDF: long tables split across pages (repeating their first rows if asked), page header and footer."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=font_size, leading=font_size * 1.5, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=font_size + 5, leading=(font_size + 5) * 1.5)

    def decorate(canvas: object, doc: object) -> None:
        canvas.setFont("STSong-Light", 8)  # type: ignore[attr-defined]
        n = canvas.getPageNumber()  # type: ignore[attr-defined]
        if header:
            canvas.drawString(72, A4[1] - 40, header)  # type: ignore[attr-defined]
        canvas.drawCentredString(A4[0] / 2, 30, footer.format(n=n))  # type: ignore[attr-defined]

    story: list[object] = []
    for block in blocks:
        if block.kind == "table":
            cells, width = placed(block.rows)
            data: list[list[object]] = [[""] * width for _ in block.rows]
            commands: list[tuple[object, ...]] = [("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
            for r, c, (text, _, cs) in cells:
                # reportlab cannot break a table inside a row span, so a merged label stays in its top
                # row and the rows below get an empty cell (as a rowspan prints in text).
                data[r][c] = Paragraph(text.replace("|", ""), body)
                if cs > 1:
                    commands.append(("SPAN", (c, r), (c + cs - 1, r)))
            if ruled:
                commands.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
            shares = column_shares(block.rows)
            repeat = repeat_header if len(block.rows) > 10 else 0
            table = Table(
                data,
                colWidths=[(A4[0] - 144) * share for share in shares],
                style=TableStyle(commands),
                repeatRows=repeat,
            )
            story.append(table)
        else:
            story.append(Paragraph(block.text, title if block.kind == "title" else body))
    doc = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=72, rightMargin=72, topMargin=72, bottomMargin=72, encrypt=password
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return path


def write_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """A PDF of page images and no text, as a scanner makes it."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (400, 560), 255)
    draw = ImageDraw.Draw(image)
    for y in range(40, 520, 24):
        draw.rectangle((40, y, 360, y + 10), fill=60)  # lines of "text" as ink, not characters
    sheet = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        sheet.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        sheet.showPage()
    sheet.save()
    return path


def docx_to_pdf(docx_path: Path, out_dir: Path) -> Path | None:
    """LibreOffice's rendering of a .docx, as an agency's "export as PDF" makes it; None without soffice."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                str(docx_path),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    pdf = out_dir / (docx_path.stem + ".pdf")
    return pdf if pdf.exists() else None
