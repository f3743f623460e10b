"""One document in, one `Report` out, with the deterministic reader alone.

This is the offline path of `extract FILE`: ingest → layout → parse/meta/narrative →
verify. The model path (`llm`, `reconcile`) reuses `read_document` and `assemble`, so both
paths end in the same verifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from . import __version__
from .errors import InputError
from .htmlgrid import html_lines
from .ingest import Document, load
from .layout import Line, text_lines
from .meta import MetaRead, read_meta
from .narrative import COMPARISONS, Fact, read_facts
from .normalize import norm
from .parse import Reading, parse
from .schema import Extraction, Meta, Report, ReviewItem, Source, Span, TableState
from .verify import TableStatus, verify

PARSER_VERSION = f"parser-{__version__}"
# Hundreds of spans per report: validated in one call rather than one object at a time.
PROVENANCE = TypeAdapter(dict[str, Span])  # validates a report's spans in one call


@dataclass
class ParserResult:
    """Everything the deterministic reader found in one document."""

    document: Document
    lines: list[Line]
    reading: Reading
    meta: MetaRead
    facts: dict[str, Fact]


def document_lines(document: Document) -> list[Line]:
    if document.lines is not None:
        return document.lines  # PDF and Word files were read with their own structure
    return html_lines(document.text) if document.kind in ("html", "mhtml") else text_lines(document.text)


def read_document(document: Document) -> ParserResult:
    lines = document_lines(document)
    reading = parse(lines)
    meta = read_meta(lines)
    facts = read_facts(lines)
    if document.no_text:
        # A scanned PDF is still a report: say why its tables could not be read instead of refusing it.
        for table in reading.tables.values():
            if table.state == "missing":
                table.reason = document.no_text if not lines else f"{table.reason}; {document.no_text}"
        if not lines:
            return ParserResult(document, lines, reading, meta, facts)
    if not _looks_like_report(document, reading, meta):
        raise InputError(
            f"{document.path}: this does not look like a 政府信息公开工作年度报告 (no title, no report sections, "
            "no tables); pass an annual report"
        )
    return ParserResult(document, lines, reading, meta, facts)


def _looks_like_report(document: Document, reading: Reading, meta: MetaRead) -> bool:
    if any(t.state != "missing" for t in reading.tables.values()):
        return True
    return meta.agency is not None or "政府信息公开" in norm(document.text[:20000])


def assemble(
    result: ParserResult,
    cells: dict[str, int | float],
    provenance: dict[str, Span],
    *,
    extra_review: list[ReviewItem] | None = None,
    extraction: Extraction | None = None,
) -> Report:
    """Verify the final values and build the output object."""
    document, reading = result.document, result.reading
    statuses = {t: TableStatus(r.state, r.template, r.reason) for t, r in reading.tables.items()}
    narrative = {name: fact.value for name, fact in result.facts.items()}
    verdict = verify(
        cells,
        statuses,
        year=result.meta.year,
        narrative=narrative,
        comparisons=COMPARISONS,
        doc_id=document.sha256,
    )
    review = [*(extra_review or []), *verdict.review]
    blocking = any(item.severity == "error" for item in review)
    for name, fact in result.facts.items():
        provenance[f"narrative.{name}"] = Span(
            start=fact.start, end=fact.end, by="parser", where=document.where(fact.start, fact.end)
        )
    return Report(
        source=Source(
            path=document.path,
            sha256=document.sha256,
            chars=len(document.text),
            kind=document.kind,
            encoding=document.encoding,
        ),
        meta=Meta(agency=result.meta.agency, year=result.meta.year, template=statuses["app"].template),
        cells=cells,
        narrative=narrative,
        provenance=provenance,
        checks=verdict.checks,
        review=review,
        status="needs_review" if blocking else "accepted",
        tables={
            t: TableState(state=r.state, template=r.template, reason=r.reason, start=r.start, end=r.end)  # type: ignore[arg-type]
            for t, r in reading.tables.items()
        },
        extraction=extraction or Extraction(parser_version=PARSER_VERSION),
    )


def parser_report(result: ParserResult) -> Report:
    cells = {key: cell.value for key, cell in result.reading.cells.items()}
    return assemble(result, cells, PROVENANCE.validate_python(_parser_spans(result)))


def _parser_spans(result: ParserResult) -> dict[str, dict[str, Any]]:
    document = result.document
    return {
        key: span_data(document, cell.start, cell.end, "parser", cell.page)
        for key, cell in result.reading.cells.items()
    }


def span_data(document: Document, start: int, end: int, by: str, page: int | None = None) -> dict[str, Any]:
    """One cell's span as data for `PROVENANCE`. A page or place that is not known is left out
    rather than given as None: the default is the same, and validating hundreds of explicit
    Nones was a third of the spans' cost."""
    span: dict[str, Any] = {"start": start, "end": end, "by": by}
    if page is not None:
        span["page"] = page
    place = document.where(start, end)
    if place is not None:
        span["where"] = place
    return span


def extract_file(path: str | Path) -> Report:
    """The offline path: read, parse, verify. Raises `InputError` for unusable input."""
    return parser_report(read_document(load(path)))
