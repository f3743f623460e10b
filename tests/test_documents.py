"""PDF and Word files read to the same cells as the text they were made from.

Every seed report is rendered to .docx (python-docx) and to PDF (reportlab, ruled and
unruled tables; LibreOffice from the .docx when `soffice` is installed), and must give its
gold cells, narrative facts, meta and status, exactly as its text does. Synthetic reports
do the same with real merged cells. The files are written at run time into tmp_path.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docgen
import pytest
import synth
from click.testing import CliRunner
from conftest import SEEDS, gold_for

from extractor.batch import BatchSpec, run_batch
from extractor.cli import main
from extractor.ingest import load
from extractor.pipeline import extract_file
from extractor.schema import Report

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared/seeds is not beside the project")
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
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


# ---- unusable and unusual files ---------------------------------------------------------


@pytest.fixture
def documents(tmp_path: Path) -> dict[str, Path]:
    blocks = _seed_blocks(SEEDS[2])
    files = {
        "good_pdf": docgen.write_pdf(blocks, tmp_path / "good.pdf"),
        "good_docx": docgen.write_docx(blocks, tmp_path / "good.docx"),
        "scanned": docgen.write_scanned_pdf(tmp_path / "scan.pdf"),
        "encrypted": docgen.write_pdf(blocks, tmp_path / "locked.pdf", password="secret"),
        "truncated": tmp_path / "cut.pdf",
        "empty_docx": tmp_path / "empty.docx",
        "zip_docx": tmp_path / "photos.docx",
        "old_doc": tmp_path / "old.doc",
        "sheet": tmp_path / "table.xlsx",
    }
    data = files["good_pdf"].read_bytes()
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["empty_docx"].write_bytes(b"")
    with zipfile.ZipFile(files["zip_docx"], "w") as archive:
        archive.writestr("photo1.jpg", b"\xff\xd8\xff" + b"\x00" * 50)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    files["old_doc"].write_bytes(ole + b"\x00" * 500 + "WordDocument".encode("utf-16-le"))
    with zipfile.ZipFile(files["sheet"], "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return files


_MESSAGES = {
    "encrypted": "encrypted with a password",
    "truncated": "truncated",
    "empty_docx": "empty",
    "zip_docx": "not a Word document",
    "old_doc": "save it as .docx",
    "sheet": "spreadsheet",
}


def test_bad_documents_get_one_line_each_and_the_rest_is_read(documents: dict[str, Path]) -> None:
    order = ["good_pdf", *_MESSAGES, "scanned", "good_docx"]
    result = CliRunner().invoke(main, [str(documents[name]) for name in order])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("extract: error:")]
    assert len(errors) == len(_MESSAGES)
    for name, words in _MESSAGES.items():
        line = next(e for e in errors if str(documents[name]) in e)
        assert words in line, line
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["source"]["path"]).name for r in reports] == ["good.pdf", "scan.pdf", "good.docx"]
    assert "Traceback" not in result.output


def test_a_batch_over_a_folder_of_documents_reads_every_kind(documents: dict[str, Path], tmp_path: Path) -> None:
    """A folder of PDF and Word files, as agencies publish them: every report file is an input,
    the readable ones are read, and an old .doc is failed with what to do rather than left out."""
    result = run_batch(BatchSpec(inputs=[str(documents["good_pdf"].parent)], out=tmp_path / "out", workers=2))
    reports = {Path(r.source.path).name: r for r in map(Report.model_validate_json, _lines(tmp_path / "out"))}
    # A spreadsheet beside the reports is not taken for one.
    assert sorted(reports) == sorted(path.name for path in documents.values() if path.suffix != ".xlsx")
    assert {name: reports[name].source.kind for name in ("good.pdf", "good.docx", "scan.pdf")} == {
        "good.pdf": "pdf",
        "good.docx": "docx",
        "scan.pdf": "pdf",
    }
    assert reports["good.pdf"].cells == reports["good.docx"].cells and reports["good.pdf"].cells
    assert "save it as .docx" in str(reports["old.doc"].extraction and reports["old.doc"].extraction.error)
    assert result.summary["by_status"]["failed"] == len(_MESSAGES) - 1


@pytest.mark.enable_socket
def test_the_model_is_not_called_for_a_scanned_pdf(documents: dict[str, Path]) -> None:
    """No text, nothing for a model to read: no call is paid for, and the report says why its
    tables are missing, as it does offline."""
    from stub_openai import Reply, StubServer

    with StubServer(responder=lambda body: Reply.json({})) as server:
        args = [str(documents["scanned"]), "--model", "m", "--base-url", server.base_url, "--api-key", "sk-test"]
        result = CliRunner().invoke(main, [*args, "--no-cache"])
        assert server.request_count == 0
    assert result.exit_code == 0, result.output
    report = Report.model_validate_json(result.stdout)
    assert report.status == "needs_review" and report.extraction and report.extraction.usage["requests"] == 0
    assert all(table.reason.startswith("no text layer") for table in report.tables.values())


def _lines(out: Path) -> list[str]:
    return (out / "results.jsonl").read_text(encoding="utf-8").splitlines()


def test_a_scanned_pdf_is_a_report_whose_tables_are_missing(documents: dict[str, Path]) -> None:
    report = extract_file(documents["scanned"])
    assert report.status == "needs_review"
    assert report.cells == {}
    for table in report.tables.values():
        assert table.state == "missing"
        assert table.reason.startswith("no text layer: scanned image")
        assert "OCR is not supported" in table.reason
    assert {item.rule for item in report.review} == {"table.missing"}


def test_type_comes_from_the_content_not_the_name(documents: dict[str, Path], tmp_path: Path) -> None:
    pdf_as_txt = tmp_path / "report.txt"
    pdf_as_txt.write_bytes(documents["good_pdf"].read_bytes())
    html_as_doc = tmp_path / "page.doc"
    rows = "".join(f"<tr><td>{'</td><td>'.join(row)}</td></tr>" for row in [["规章", "0"]])
    html_as_doc.write_text(
        f"<html><body><p>{SEEDS[2].read_text(encoding='utf-8')}</p><table>{rows}</table></body></html>",
        encoding="utf-8",
    )
    assert extract_file(pdf_as_txt).source.kind == "pdf"
    assert extract_file(pdf_as_txt).cells == gold_for(SEEDS[2])["cells"]
    assert load(html_as_doc).kind == "html"


def test_plain_text_reading_does_not_load_the_document_libraries() -> None:
    code = (
        "import sys; from extractor.pipeline import extract_file; "
        f"extract_file({str(SEEDS[0])!r}); "
        "print(','.join(m for m in ('pypdfium2', 'docx', 'lxml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_checked_in_libreoffice_pdf_reads_to_gold() -> None:
    """A PDF as Word-to-PDF export makes it (embedded font subsets), so CI covers one without LibreOffice."""
    fixture = Path(__file__).parent / "fixtures" / "seed002_libreoffice.pdf"
    seed = next(s for s in SEEDS if s.stem.startswith("002_"))
    report = extract_file(fixture)
    _same_as_text(report, seed)
    assert {span.page for span in report.provenance.values() if span.page} >= {1, 2}


def test_scanned_pages_in_a_text_pdf_are_named_in_the_missing_tables_reason(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    prose = [b for b in _seed_blocks(SEEDS[0]) if b.kind != "table"]
    mixed = pdfium.PdfDocument(docgen.write_pdf(prose, tmp_path / "prose.pdf"))
    text_pages = len(mixed)
    mixed.import_pages(pdfium.PdfDocument(docgen.write_scanned_pdf(tmp_path / "scan.pdf", pages=1)))
    mixed.save(tmp_path / "mixed.pdf")
    report = extract_file(tmp_path / "mixed.pdf")
    assert report.meta.agency == gold_for(SEEDS[0])["meta"]["agency"]
    for table in report.tables.values():
        assert table.state == "missing"
        assert f"page {text_pages + 1} has no text layer: scanned image" in table.reason


def test_a_pdf_restricted_only_by_an_owner_password_is_read(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    blocks = _seed_blocks(SEEDS[2])
    path = docgen.write_pdf(blocks, tmp_path / "owner.pdf", password=StandardEncryption("", "owner", canPrint=0))
    _same_as_text(extract_file(path), SEEDS[2])


def test_a_docx_with_broken_xml_gets_one_clear_line(tmp_path: Path) -> None:
    good = docgen.write_docx(_seed_blocks(SEEDS[2]), tmp_path / "good.docx")
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename == "word/document.xml" else data)
    result = CliRunner().invoke(main, [str(broken), str(good)])
    assert result.exit_code == 2
    assert "damaged" in result.stderr and "save it again" in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_header_rows_repeated_after_a_page_break_are_read_once(tmp_path: Path) -> None:
    rng = random.Random(705)
    report = synth.random_report(rng, template_app="2021")
    blocks = docgen.synth_blocks(report, rng)
    path = docgen.write_pdf(blocks, tmp_path / "repeat.pdf", repeat_header=3, font_size=12)
    document = load(path)
    assert document.lines is not None
    read = extract_file(path)
    assert len({span.page for key, span in read.provenance.items() if key.startswith("app.")}) >= 2
    assert document.text.count("申请人情况") >= 2, "the fixture must repeat table 三's header on the next page"
    assert sum("申请人情况" in line.text for line in document.lines) == 1
    assert read.cells == synth.gold_cells(report)


def test_model_path_spans_say_where_in_the_file_like_the_parsers(tmp_path: Path) -> None:
    """A cell both readers agree on keeps the parser's span, 'where' (table, row, column) included."""
    from scripted import faithful_reading

    from extractor.grounding import SourceText, ground
    from extractor.pipeline import parser_report, read_document
    from extractor.reconcile import merge

    seed = SEEDS[0]
    result = read_document(load(docgen.write_docx(_seed_blocks(seed), tmp_path / "r.docx", header="政府信息公开")))
    merged = merge(result, ground(SourceText(result.document.text), faithful_reading(seed), {}))
    alone = parser_report(result).provenance
    both = {k: s for k, s in merged.provenance.items() if s.by == "both"}
    assert len(both) > 100
    assert all(
        s.where and s.where == alone[k].where and (s.start, s.end) == (alone[k].start, alone[k].end)
        for k, s in both.items()
    )
