"""What a batch leaves in DIR: results.jsonl, cells.csv, cells.parquet, summary.json.

Every output is rebuilt from the journal at the end of a run (and by `merge`), in input
path order, so a run that was killed and resumed, a run split into shards and merged, and
an uninterrupted run all end with the same bytes. Files are written to a temporary name and
renamed, so a reader never sees half of one.

What these outputs need besides the report itself is computed where the report was made
(`journal_record`): the summary's figures (status, rules, tokens, agency, year) go in the
journal's index, the report's cells.csv rows beside its journal line (`journal.rows`), so the
end-of-batch pass parses neither the reports nor the journal lines again.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import TypeAdapter

from .batch_parquet import COLUMNS, CellsParquet
from .errors import StoreError
from .ingest import shown
from .journal import Journal, encode, slim
from .pipeline import PARSER_VERSION
from .schema import Extraction, Meta, Report, Source

CSV_COLUMNS = tuple(COLUMNS)
# A report as JSON bytes: model_dump_json's str costs a quarter more to make, and is encoded again.
REPORT_JSON = TypeAdapter(Report)
RESULTS, CELLS_CSV, CELLS_PARQUET, SUMMARY = "results.jsonl", "cells.csv", "cells.parquet", "summary.json"


def failed_report(path: str, reason: str, sha256: str = "") -> Report:
    """The output-contract line of an input that could not be read: status failed, the reason."""
    return Report(
        source=Source(path=shown(path), sha256=sha256, chars=0),
        meta=Meta(agency=None, year=None, template=None),
        cells={},
        narrative={},
        provenance={},
        checks=[],
        review=[],
        status="failed",
        extraction=Extraction(parser_version=PARSER_VERSION, error=reason),
    )


def tokens(report: Report) -> tuple[int, int]:
    """Tokens in and out of the model calls behind a report (either naming of the usage keys)."""
    usage = (report.extraction.usage if report.extraction else None) or {}
    got_in = usage.get("input_tokens", usage.get("prompt_tokens", 0))
    got_out = usage.get("output_tokens", usage.get("completion_tokens", 0))
    return got_in, got_out


def csv_rows(report: Report) -> bytes:
    """The report's cells.csv rows. Only the report's own columns can need quoting (a path or an
    agency with a comma); keys, numbers and reader names never do, so they are joined directly."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(
        [report.source.path, report.meta.agency or "", report.meta.year or "", report.meta.template or ""]
    )
    head, tail = buffer.getvalue(), report.status
    provenance = report.provenance
    rows = []
    values = [*report.cells.items(), *((f"narrative.{k}", v) for k, v in report.narrative.items())]
    for key, value in values:
        span = provenance.get(key)
        where = f"{span.by},{span.start},{span.end}" if span else ",,"
        rows.append(f"{head},{key},{value},{where},{tail}\n")
    return "".join(rows).encode("utf-8")


class Finished(NamedTuple):
    """One finished input as the journal takes it: the slim header it indexes, the line
    (`journal.encode`) and the report's cells.csv rows, both UTF-8, the rows kept beside the line.

    Made where the report was made (a worker process), so only these bytes cross back to
    the batch's parent rather than the whole report.
    """

    header: dict[str, Any]
    line: bytes
    rows: bytes

    @property
    def tokens(self) -> tuple[int, int]:
        got_in, got_out = self.header["tokens"]
        return got_in, got_out

    @property
    def error(self) -> str:
        return str(self.header.get("error") or "")


def journal_record(path: str, report: Report, *, queued: bool = False) -> Finished:
    """The journal line of one finished input, with the slim header the journal indexes.
    `queued`: the report's review items are in the batch's queue already (`batch_queue`)."""
    tokens_in, tokens_out = tokens(report)
    header: dict[str, Any] = {
        "path": path,
        "status": report.status,
        "sha256": report.source.sha256,
        "agency": report.meta.agency,
        "year": report.meta.year,
        "rules": dict(Counter(item.rule for item in report.review)),
        "tokens": [tokens_in, tokens_out],
        "queued": queued,
    }
    if report.extraction and report.extraction.error:
        header["error"] = report.extraction.error
    return Finished(slim(header), encode(header, REPORT_JSON.dump_json(report)), csv_rows(report))


def kept_rows(journal: Journal, paths: list[str]) -> Iterator[bytes]:
    """The cells.csv rows of each path's record, as kept beside the journal; rebuilt from the
    report where they are not (a journal of an older version, or journal.rows went missing)."""
    for path, rows in zip(paths, journal.rows(paths), strict=True):
        yield rows if rows is not None else csv_rows(Report.model_validate_json(next(journal.reports([path]))))


def _atomic(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _replace(tmp: Path, path: Path) -> None:
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    tmp.replace(path)


def finished_paths(journal: Journal, paths: Iterable[str]) -> list[str]:
    """The inputs among `paths` that have a record, in the order every output gives them."""
    return sorted(p for p in set(paths) if journal.done(p))


@contextlib.contextmanager
def _writing(directory: Path) -> Iterator[None]:
    try:
        yield
    except OSError as err:
        raise StoreError(
            f"{directory}: cannot write the outputs ({err.strerror or err}); free some space and run the same "
            "command again: every finished report is in the journal"
        ) from err


def write_cells(directory: Path, journal: Journal, done: list[str], run: dict[str, Any]) -> dict[str, Any]:
    """cells.csv, cells.parquet (as the rows are written, `batch_parquet`) and summary.json for
    the finished inputs `done` (`finished_paths`); return the summary."""
    summary = _Summary()
    csv_tmp, parquet_tmp = _atomic(directory / CELLS_CSV), _atomic(directory / CELLS_PARQUET)
    with _writing(directory):
        with csv_tmp.open("wb") as cells, CellsParquet(parquet_tmp) as parquet:
            cells.write((",".join(CSV_COLUMNS) + "\n").encode())
            for path, rows in zip(done, kept_rows(journal, done), strict=True):
                cells.write(rows)
                parquet.add(rows)
                summary.add(journal.index[path].header)
            with_parquet = parquet.close()
        _replace(csv_tmp, directory / CELLS_CSV)
        if with_parquet:
            _replace(parquet_tmp, directory / CELLS_PARQUET)
            run = {**run, "parquet": True}
        data = summary.as_dict(run)
        summary_tmp = _atomic(directory / SUMMARY)
        summary_tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _replace(summary_tmp, directory / SUMMARY)
    return data


def write_results(directory: Path, journal: Journal, done: list[str]) -> None:
    """results.jsonl: the journal's bytes of each report as they are, no decoding and encoding again."""
    results_tmp = _atomic(directory / RESULTS)
    with _writing(directory):
        with results_tmp.open("wb") as results:
            for report_json in journal.reports(done):
                results.write(report_json + b"\n")
        _replace(results_tmp, directory / RESULTS)


class _Summary:
    """Counts over the journal headers of the finished reports."""

    def __init__(self) -> None:
        self.status: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.agencies: Counter[str] = Counter()
        self.years: Counter[str] = Counter()
        self.tokens = [0, 0]
        self.failed: list[dict[str, str]] = []
        self.model_errors = 0  # reports kept with the parser's reading because the model call failed

    def add(self, header: dict[str, Any]) -> None:
        self.status[header["status"]] += 1
        self.rules.update(header["rules"])
        if header["status"] != "failed":
            self.agencies[header["agency"] or "(unknown)"] += 1
            self.years[str(header["year"] or "(unknown)")] += 1
        self.tokens[0] += header["tokens"][0]
        self.tokens[1] += header["tokens"][1]
        if header["status"] == "failed":
            self.failed.append({"path": shown(header["path"]), "reason": header.get("error") or ""})
        elif header.get("error"):
            self.model_errors += 1

    def as_dict(self, run: dict[str, Any]) -> dict[str, Any]:
        price_in, price_out = run.get("price_in"), run.get("price_out")
        cost = None
        if price_in is not None or price_out is not None:
            cost = round(self.tokens[0] / 1e6 * (price_in or 0) + self.tokens[1] / 1e6 * (price_out or 0), 6)
        return {
            "reports": sum(self.status.values()),
            "by_status": {s: self.status[s] for s in ("accepted", "needs_review", "failed")},
            "by_rule": dict(sorted(self.rules.items())),
            "by_agency": dict(sorted(self.agencies.items())),
            "by_year": dict(sorted(self.years.items())),
            "tokens": {"input": self.tokens[0], "output": self.tokens[1]},
            "estimated_cost": cost,
            "failed": self.failed,
            "model_errors": self.model_errors,
            "run": run,
        }
