"""PDF and Word files read to the same cells as the text they were made from.

Every seed report is rendered to .docx (python-docx) and to PDF (reportlab, ruled and
unruled tables; LibreOffice from the .docx when `soffice` is installed), and must give its
gold cells, narrative facts, meta and status, exactly as its text does. Synthetic reports
do the same with real merged cells. The files are written at run time into tmp_path.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import docgen
import pytest
import synth
from conftest import SEEDS, gold_for

from extractor.ingest import load
from extractor.pipeline import extract_file
from extractor.schema import Report

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared/seeds is not beside the project")
needs_soffice = pytest.mark.skipif(
    docgen.docx_to_pdf.__module__ and not __import__("shutil").which("soffice"),
    reason="LibreOffice is not installed (Debian: apt-get install libreoffice-writer-nogui fonts-noto-cjk)",
)


def _same_as_text(report: Report, seed: Path) -> None:
    gold = gold_for(seed)
    assert report.cells == gold["cells"]
    assert report.status == gold["expected_status"]
    assert report.narrative == gold["narrative"]
    assert report.meta.model_dump() == gold["meta"] | ({"template": None} if not gold["cells"] else {})


def _seed_blocks(seed: Path) -> list[docgen.Block]:
    return docgen.blocks_from_text(seed.read_text(encoding="utf-8"))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_as_docx(seed: Path, tmp_path: Path) -> None:
    path = docgen.write_docx(_seed_blocks(seed), tmp_path / f"{seed.stem}.docx", header="政府信息公开")
    report = extract_file(path)
    assert report.source.kind == "docx"
    _same_as_text(report, seed)


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_as_pdf(seed: Path, ruled: bool, tmp_path: Path) -> None:
    path = docgen.write_pdf(_seed_blocks(seed), tmp_path / f"{seed.stem}.pdf", ruled=ruled, header="某某市人民政府")
    report = extract_file(path)
    assert report.source.kind == "pdf"
    _same_as_text(report, seed)


@needs_soffice
@pytest.mark.parametrize("seed", SEEDS[:3], ids=lambda p: p.stem)
def test_seed_as_libreoffice_pdf(seed: Path, tmp_path: Path) -> None:
    docx_path = docgen.write_docx(_seed_blocks(seed), tmp_path / f"{seed.stem}.docx", header="政府信息公开")
    pdf = docgen.docx_to_pdf(docx_path, tmp_path)
    assert pdf is not None
    _same_as_text(extract_file(pdf), seed)


@pytest.mark.parametrize("case", range(6))
def test_synthetic_reports_with_merged_cells(case: int, tmp_path: Path) -> None:
    rng = random.Random(700 + case)
    report = synth.random_report(rng)
    gold = synth.gold_cells(report)
    blocks = docgen.synth_blocks(report, rng)
    as_text = tmp_path / "r.txt"
    as_text.write_text(synth.render(report, "tab", random.Random(case), noise=False), encoding="utf-8")
    expected = extract_file(as_text)  # a report with a blank cell needs review whatever its format
    for path in (docgen.write_docx(blocks, tmp_path / "r.docx"), docgen.write_pdf(blocks, tmp_path / "ruled.pdf")):
        read = extract_file(path)
        assert read.cells == gold, path.name
        assert read.status == expected.status, path.name
    unruled = extract_file(docgen.write_pdf(blocks, tmp_path / "open.pdf", ruled=False, footer="第{n}页"))
    # Without borders a blank cell is only a gap, as in space-aligned text: such a row is left
    # out (and flagged), never filled with a neighbour's number.
    assert all(gold[key] == value for key, value in unruled.cells.items())
    if expected.status == "accepted":
        assert unruled.cells == gold
        assert unruled.status == "accepted"


def test_table_across_a_page_break_and_page_numbers_are_not_cells(tmp_path: Path) -> None:
    seed = SEEDS[0]
    path = docgen.write_pdf(_seed_blocks(seed), tmp_path / "long.pdf", header="某某市人民政府")
    document = load(path)
    report = extract_file(path)
    app_pages = {span.page for key, span in report.provenance.items() if key.startswith("app.")}
    assert len(app_pages) >= 2, "the fixture must split table 三 over a page break"
    assert re.search(r"- 2 -|-2-", document.text), "the page number is in the page's text"
    assert document.lines is not None
    cells = [c.text for line in document.lines for c in line.cells]
    assert not any(re.fullmatch(r"-\s*\d+\s*-|某某市人民政府", c) for c in cells)
    _same_as_text(report, seed)


def test_pdf_provenance_gives_page_and_offsets_within_the_page(tmp_path: Path) -> None:
    path = docgen.write_pdf(_seed_blocks(SEEDS[0]), tmp_path / "p.pdf")
    document = load(path)
    report = extract_file(path)
    starts = dict(document.places)
    pages = {name: offset for offset, name in starts.items()}
    for key, span in report.provenance.items():
        if not key.startswith("app."):
            continue
        assert span.page is not None and span.where is not None
        page_start = pages[f"page {span.page}"]
        within = re.search(r"characters (\d+)–(\d+)", span.where)
        assert within is not None
        a, b = int(within[1]), int(within[2])
        assert document.text[page_start + a : page_start + b] == document.text[span.start : span.end]
        assert float(document.text[span.start : span.end]) == report.cells[key]


def test_docx_provenance_names_table_row_and_column(tmp_path: Path) -> None:
    path = docgen.write_docx(_seed_blocks(SEEDS[2]), tmp_path / "w.docx")
    report = extract_file(path)
    document = load(path)
    span = report.provenance["app.new.total"]
    assert span.where is not None and re.fullmatch(r"table \d+, row \d+, column \d+", span.where)
    assert document.text[span.start : span.end] == str(report.cells["app.new.total"])
