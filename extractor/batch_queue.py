"""A batch's review queue (DIR/review.db and DIR/review.html): filled as reports are made,
completed from the journal at the end.

The process that makes a report (a batch's worker) already holds the report and its text,
so it records the report's review items there (`finished`), before the journal line that
makes the report count, and says so in the line's header (`queued`). At the end of every
run and every merge, `fill_review_queue` records from the journal each finished report with
items that is not in the queue yet: one made elsewhere (in the parent, by an injected
`extract_one`), one whose recording failed (the queue was locked, the disk full), one whose
document the queue does not hold (a merged DIR, or a power cut that took SQLite's last
transactions), withdraws the open items of file versions a rerun found changed (their
reports are no longer the journal's), and then writes the read-only page. Recording is idempotent
(`review.Store.record`), so a report recorded twice (a kill between the two writes) changes
nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .batch_outputs import Finished, journal_record
from .errors import ExtractorError, StoreError
from .journal import Journal
from .review import Store
from .schema import Report

REVIEW_DB, REVIEW_HTML = "review.db", "review.html"


@dataclass
class _Attached:
    """The queue of the batch this process makes reports for: set in the batch's workers only."""

    directory: Path | None = None
    store: Store | None = None


_ATTACHED = _Attached()


def attach(directory: Path) -> None:
    """This process makes reports for the batch in `directory`: `finished` records their items there."""
    _ATTACHED.directory, _ATTACHED.store = directory, None


# Model errors that are not the report's (the network, the server, a rejected key or model
# name): the batch leaves such a report pending rather than committing it, so it is not queued.
PENDING_ERRORS = ("transient:", "auth:", "not_found:")


def finished(path: str, report: Report, text: str | None) -> Finished:
    """The journal record of a report, its review items recorded first when this process works for a batch."""
    error = report.extraction.error if report.extraction else None
    pending = bool(error and error.startswith(PENDING_ERRORS))
    return journal_record(path, report, queued=bool(report.review) and not pending and _record(report, text))


def _record(report: Report, text: str | None) -> bool:
    if _ATTACHED.directory is None:
        return False
    try:
        if _ATTACHED.store is None:
            _ATTACHED.store = Store(_ATTACHED.directory / REVIEW_DB)
        _ATTACHED.store.record(report, text)
    except (StoreError, sqlite3.Error, OSError):
        return False  # the end of the run records it from the journal
    return True


def fill_review_queue(directory: Path, journal: Journal, paths: Iterable[str]) -> int:
    """Record every finished report with review items that the queue lacks, withdraw the items of
    superseded file versions, then write the page.

    Called after every run and every merge. Returns the number of reports recorded here.
    """
    from .ingest import load
    from .reviewapp import static_page

    recorded = 0
    with Store(directory / REVIEW_DB) as store:
        held = {row[0] for row in store.db.execute("SELECT sha256 FROM documents")}
        missing = sorted(p for p in set(paths) if journal.done(p) and _lacking(journal.index[p].header, held))
        for path, report_json in zip(missing, journal.reports(missing), strict=True):
            report = Report.model_validate_json(report_json)
            try:  # by the journal's name: source.path escapes a name that is not UTF-8
                text: str | None = load(path).text
            except ExtractorError:
                text = None  # the file went away since: the items still go in, without context
            store.record(report, text)
            recorded += 1
        store.withdraw_superseded(slot.header["sha256"] for slot in journal.index.values())
        page = static_page(store, status="all")
    tmp = directory / f".{REVIEW_HTML}.tmp"
    try:
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(directory / REVIEW_HTML)
    except OSError as err:
        raise StoreError(
            f"{directory / REVIEW_HTML}: cannot be written ({err.strerror}); free some space and "
            "run the same command again"
        ) from err
    return recorded


def _lacking(header: dict[str, object], held: set[str]) -> bool:
    """A finished report with review items that the queue does not hold (or may not)."""
    return bool(header["rules"]) and not (header.get("queued") and header.get("sha256") in held)
