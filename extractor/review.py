"""The review queue: a SQLite store of review items, reviewers' decisions and an append-only audit log.

One database file (default `./review.db`) in WAL mode, so a batch job's worker processes can
write while a reviewer reads. Every write is one `BEGIN IMMEDIATE` transaction: a process killed
mid-write leaves the previous state intact. Items are keyed by their id, which the verifier
derives from the document's sha256, the rule and its scope, so writing the same report twice
changes nothing. The schema carries its version in `PRAGMA user_version`; `MIGRATIONS` upgrade
older files in place. No printing here: `cli_review` and `reviewapp` present what this returns.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .decisions import Decision, apply_decisions
from .errors import StoreError
from .ingest import shown
from .schema import Number, Report

STATUSES = ("open", "resolved", "withdrawn")
DECISIONS = ("value", "suggestion", "confirmed")

# The first released schema. Kept verbatim: new databases are built by running every migration
# in order, so the upgrade path from version 1 is the path every database takes.
SCHEMA_V1 = """
CREATE TABLE items (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    rule TEXT NOT NULL,
    cells TEXT NOT NULL,
    reason TEXT NOT NULL,
    parser TEXT,
    model TEXT,
    suggestion TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL,
    resolution TEXT
);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    action TEXT NOT NULL,
    old TEXT,
    new TEXT,
    note TEXT NOT NULL DEFAULT ''
);
"""

# Version 2: the source text (for context and highlighting), spans, severity, and an audit log
# the database itself refuses to change.
SCHEMA_V2 = """
CREATE TABLE documents (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    abspath TEXT NOT NULL,
    agency TEXT,
    year INTEGER,
    kind TEXT,
    text TEXT,
    written_at TEXT NOT NULL
);
INSERT INTO documents (sha256, path, abspath, written_at)
    SELECT sha256, MIN(path), MIN(path), MIN(created_at) FROM items GROUP BY sha256;
ALTER TABLE items ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN severity TEXT NOT NULL DEFAULT 'error';
ALTER TABLE items ADD COLUMN spans TEXT NOT NULL DEFAULT '{}';
ALTER TABLE items ADD COLUMN cell_spans TEXT NOT NULL DEFAULT '{}';
ALTER TABLE items ADD COLUMN final TEXT NOT NULL DEFAULT '{}';
ALTER TABLE items ADD COLUMN updated_at TEXT;
CREATE INDEX items_status_rule ON items (status, rule);
CREATE INDEX items_listing ON items (status, path, rule, id);
CREATE INDEX items_sha256 ON items (sha256);
CREATE INDEX documents_abspath ON documents (abspath);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

# Version 3: where each cell sits in the published file ("page 3, characters …", "table 2, row 5, column 3"),
# so a reviewer holding the PDF or Word file can find it.
SCHEMA_V3 = """
ALTER TABLE items ADD COLUMN places TEXT NOT NULL DEFAULT '{}';
"""

MIGRATIONS: tuple[str, ...] = (SCHEMA_V1, SCHEMA_V2, SCHEMA_V3)
SCHEMA_VERSION = len(MIGRATIONS)
_ITEM_COLUMNS = (
    "id, sha256, path, rule, scope, cells, reason, parser, model, suggestion, severity, spans, "
    "cell_spans, final, status, created_at, updated_at, resolution, places"
)


@dataclass(frozen=True)
class QueueItem:
    """One review item as stored, with the values and spans needed to show it."""

    id: str
    sha256: str
    path: str
    rule: str
    scope: str
    cells: list[str]
    reason: str
    parser: Any
    model: Any
    suggestion: Any
    severity: str
    spans: dict[str, list[int]]
    cell_spans: dict[str, list[int]]
    final: dict[str, Number]
    status: str
    created_at: str
    updated_at: str | None
    resolution: dict[str, Any] | None
    places: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Summary:
    """What a listing shows of an item: cheap to read for ten thousand rows."""

    id: str
    status: str
    rule: str
    scope: str
    path: str
    severity: str
    reason: str


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    item_id: str
    at: str
    by: str
    action: str
    old: Any
    new: Any
    note: str


@dataclass(frozen=True)
class WriteResult:
    added: int
    kept: int
    withdrawn: int


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements (triggers contain `;`, so ask SQLite where each ends)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending.strip()
            pending = ""


class Store:
    """An open review queue. Use as a context manager; one instance per thread or process."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"{path}: no review queue here; run `extract FILE --queue {path}` first or pass --queue")
        try:
            self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as err:
            raise StoreError(f"{path}: cannot be opened ({err}); check that its folder exists and is writable") from err
        try:
            self.db.execute("PRAGMA busy_timeout = 60000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as err:
            self.db.close()
            raise StoreError(f"{path}: cannot be used as a review queue ({err}); pass another --queue path") from err
        except StoreError:
            self.db.close()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # ---- schema ----------------------------------------------------------------------

    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        if self.version() == SCHEMA_VERSION:
            return
        with self._write():
            current = self.version()  # re-read under the lock: another process may have migrated
            if current > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: written by a newer extractor (schema {current}); upgrade extractor")
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in _statements(script):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")

    def _write(self) -> _Transaction:
        return _Transaction(self.db)

    # ---- writing ---------------------------------------------------------------------

    def write_report(self, report: Report, text: str | None = None) -> WriteResult:
        """Store the report's review items (and its text, for context). Idempotent."""
        sha = report.source.sha256
        at = now()
        with self._write():
            self._write_document(report, text, at)
            before = {r[0]: r[1] for r in self.db.execute("SELECT id, status FROM items WHERE sha256 = ?", (sha,))}
            for item in report.review:
                _insert_item(self.db, report, item.model_dump(mode="json"), at)
            current = {item.id for item in report.review}
            gone = [i for i, status in before.items() if status == "open" and i not in current]
            self.db.executemany(
                "UPDATE items SET status = 'withdrawn', updated_at = ? WHERE id = ?", [(at, i) for i in gone]
            )
        kept = len(current & before.keys())
        return WriteResult(added=len(current) - kept, kept=kept, withdrawn=len(gone))

    def withdraw_superseded(self, current: Iterable[str]) -> int:
        """Withdraw the open items of every document whose hash is not in `current`; return how many.

        For a queue that holds one batch's reports: `current` is the hashes of the journal's latest
        records, so what goes is the items of file versions that a rerun found edited or replaced
        (their findings no longer arise in the outputs). Decided items stay decided. A version
        that comes back is recorded again, which reopens its items (`_insert_item`).
        """
        with self._write():
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS current_documents (sha256 TEXT PRIMARY KEY)")
            self.db.execute("DELETE FROM current_documents")
            self.db.executemany("INSERT OR IGNORE INTO current_documents VALUES (?)", ((sha,) for sha in current))
            withdrawn = self.db.execute(
                "UPDATE items SET status = 'withdrawn', updated_at = ? WHERE status = 'open' "
                "AND sha256 NOT IN (SELECT sha256 FROM current_documents)",
                (now(),),
            )
        return withdrawn.rowcount

    def record(self, report: Report, text: str | None = None) -> tuple[Report, list[str]]:
        """Apply the decisions stored for this document, store its items; return the final report and
        the earlier hashes of the same file whose decisions were not carried over (the caller says so)."""
        changed = self.superseded(report)
        final = apply_decisions(report, self.decisions_for(report.source.sha256), changed_from=changed)
        self.write_report(final, text)
        return final, changed

    def _write_document(self, report: Report, text: str | None, at: str) -> None:
        source = report.source
        self.db.execute(
            "INSERT INTO documents (sha256, path, abspath, agency, year, kind, text, written_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET "
            "path = excluded.path, abspath = excluded.abspath, agency = excluded.agency, year = excluded.year, "
            "kind = excluded.kind, text = COALESCE(excluded.text, documents.text)",
            (
                source.sha256,
                source.path,
                _abspath(source.path),
                report.meta.agency,
                report.meta.year,
                source.kind,
                text,
                at,
            ),
        )

    def resolve(
        self,
        item_id: str,
        decision: str,
        *,
        by: str,
        note: str = "",
        value: Number | None = None,
        cell: str | None = None,
    ) -> QueueItem:
        """Record a decision on an item (again, if it was decided before) and its audit entry."""
        if not by.strip():
            raise StoreError("say who decides: pass --by NAME")
        with self._write():
            item = self.get(item_id)
            values = _decided_values(item, decision, value, cell)
            resolution = {"decision": decision, "values": values, "note": note, "by": by, "at": now()}
            old = item.resolution["values"] if item.resolution else {k: item.final.get(k) for k in item.cells}
            self.db.execute(
                "UPDATE items SET status = 'resolved', resolution = ?, updated_at = ? WHERE id = ?",
                (_dump(resolution), resolution["at"], item.id),
            )
            self.db.execute(
                "INSERT INTO audit (item_id, at, by, action, old, new, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (item.id, resolution["at"], by, f"resolve:{decision}", _dump(old), _dump(values), note),
            )
        return self.get(item.id)

    # ---- reading ---------------------------------------------------------------------

    def get(self, item_id: str) -> QueueItem:
        """The item with this id, or with this unique id prefix."""
        rows = self.db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE id >= ? AND id < ? LIMIT 2", (item_id, item_id + "\uffff")
        ).fetchall()
        exact = [r for r in rows if r[0] == item_id]
        if exact:
            rows = exact
        if not rows or not item_id:
            raise StoreError(f"no review item {item_id!r} in {self.path}; `extract review list` shows the ids")
        if len(rows) > 1:
            raise StoreError(f"{item_id!r} matches several items; give more of the id")
        return _item(rows[0])

    def summaries(
        self,
        *,
        rule: str | None = None,
        status: str | None = "open",
        report: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Summary]:
        where, args = _filters(rule, status, report)
        sql = f"SELECT id, status, rule, scope, path, severity, reason FROM items {where} ORDER BY path, rule, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return [Summary(*row) for row in self.db.execute(sql, args)]

    def neighbours(self, item: QueueItem) -> tuple[str | None, str | None]:
        """The open items listed just before and just after this one (in `summaries` order)."""
        key = (item.path, item.rule, item.id)
        before = self.db.execute(
            "SELECT id FROM items WHERE status = 'open' AND (path, rule, id) < (?, ?, ?) "
            "ORDER BY path DESC, rule DESC, id DESC LIMIT 1",
            key,
        ).fetchone()
        after = self.db.execute(
            "SELECT id FROM items WHERE status = 'open' AND (path, rule, id) > (?, ?, ?) "
            "ORDER BY path, rule, id LIMIT 1",
            key,
        ).fetchone()
        return (before[0] if before else None), (after[0] if after else None)

    def count(self, *, rule: str | None = None, status: str | None = "open", report: str | None = None) -> int:
        where, args = _filters(rule, status, report)
        return int(self.db.execute(f"SELECT COUNT(*) FROM items {where}", args).fetchone()[0])

    def items(
        self, *, rule: str | None = None, status: str | None = None, report: str | None = None
    ) -> Iterator[QueueItem]:
        where, args = _filters(rule, status, report)
        for row in self.db.execute(f"SELECT {_ITEM_COLUMNS} FROM items {where} ORDER BY path, rule, id", args):
            yield _item(row)

    def counts(self) -> dict[str, dict[str, int]]:
        """Items per rule and status."""
        counts: dict[str, dict[str, int]] = {}
        for rule, status, n in self.db.execute("SELECT rule, status, COUNT(*) FROM items GROUP BY rule, status"):
            counts.setdefault(rule, dict.fromkeys(STATUSES, 0))[status] = n
        return dict(sorted(counts.items()))

    def document_text(self, sha256: str) -> str | None:
        row = self.db.execute("SELECT text FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def document_title(self, sha256: str) -> str:
        """The issuing body and year, as read from the report (untrusted text)."""
        row = self.db.execute("SELECT agency, year FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
        return " ".join(str(part) for part in row if part is not None) if row else ""

    def decisions_for(self, sha256: str) -> list[Decision]:
        rows = self.db.execute(
            "SELECT id, rule, resolution FROM items WHERE sha256 = ? AND status = 'resolved'", (sha256,)
        )
        decisions = []
        for item_id, rule, text in rows:
            r = json.loads(text)
            decisions.append(
                Decision(
                    item_id=item_id,
                    rule=rule,
                    decision=r["decision"],
                    values=r["values"],
                    note=r["note"],
                    by=r["by"],
                    at=r["at"],
                )
            )
        return decisions

    def superseded(self, report: Report) -> list[str]:
        """Earlier versions (hashes) of this file on which a reviewer made decisions."""
        rows = self.db.execute(
            "SELECT DISTINCT d.sha256 FROM documents d JOIN items i ON i.sha256 = d.sha256 "
            "WHERE d.abspath = ? AND d.sha256 != ? AND i.status = 'resolved' AND i.rule != 'review.document_changed'",
            (_abspath(report.source.path), report.source.sha256),
        )
        return sorted(r[0] for r in rows)

    def history(self, item_id: str) -> list[AuditEntry]:
        item = self.get(item_id)
        rows = self.db.execute(
            "SELECT seq, item_id, at, by, action, old, new, note FROM audit WHERE item_id = ? ORDER BY seq", (item.id,)
        )
        return [
            AuditEntry(seq, i, at, by, action, _load(old), _load(new), note)
            for seq, i, at, by, action, old, new, note in rows
        ]

    def integrity(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])


class _Transaction:
    """`BEGIN IMMEDIATE` … `COMMIT`: takes the write lock up front so concurrent writers queue, not fail."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _insert_item(db: sqlite3.Connection, report: Report, item: dict[str, Any], at: str) -> None:
    """Insert or refresh one item. A stored decision is never overwritten by a new extraction."""
    status = "resolved" if item["status"] == "resolved" else "open"
    resolution = _dump(item["resolution"]) if item["resolution"] else None
    cell_spans = {k: [s.start, s.end] for k in item["cells"] if (s := report.provenance.get(k))}
    places = {k: s.where for k in item["cells"] if (s := report.provenance.get(k)) and s.where}
    final = {k: report.cells[k] for k in item["cells"] if k in report.cells}
    db.execute(
        f"INSERT INTO items ({_ITEM_COLUMNS}) VALUES ({', '.join('?' * 19)}) ON CONFLICT (id) DO UPDATE SET "
        "path = excluded.path, reason = excluded.reason, parser = excluded.parser, model = excluded.model, "
        "suggestion = excluded.suggestion, spans = excluded.spans, cell_spans = excluded.cell_spans, "
        "final = excluded.final, places = excluded.places, "
        "status = CASE WHEN items.status = 'withdrawn' THEN excluded.status ELSE items.status END, "
        "resolution = COALESCE(items.resolution, excluded.resolution)",
        (
            item["id"],
            report.source.sha256,
            report.source.path,
            item["rule"],
            _scope(report, item),
            _dump(item["cells"]),
            item["reason"],
            _dump(item["parser"]),
            _dump(item["model"]),
            _dump(item["suggestion"]),
            item["severity"],
            _dump(item["spans"]),
            _dump(cell_spans),
            _dump(final),
            status,
            at,
            None,
            resolution,
            _dump(places),
        ),
    )


def _scope(report: Report, item: dict[str, Any]) -> str:
    """The column, row, group or table an item is about: the scope the verifier hashed into its id."""
    for check in report.checks:
        key = f"{report.source.sha256}|{check.rule}|{check.scope}"
        if check.rule == item["rule"] and hashlib.sha256(key.encode()).hexdigest()[:16] == item["id"]:
            return check.scope
    return ", ".join(item["cells"]) or "report"


def _decided_values(item: QueueItem, decision: str, value: Number | None, cell: str | None) -> dict[str, Number]:
    if decision == "value":
        if value is None or not math.isfinite(value):
            raise StoreError("--value needs a finite number, e.g. --value 12")
        if cell is None:
            if len(item.cells) != 1:
                raise StoreError(
                    f"item {item.id} is about {len(item.cells)} cells; say which with --cell KEY "
                    f"(one of: {', '.join(item.cells) or 'none'})"
                )
            cell = item.cells[0]
        if item.cells and cell not in item.cells:
            raise StoreError(f"{cell} is not one of item {item.id}'s cells ({', '.join(item.cells)})")
        return {cell: value}
    if decision == "suggestion":
        suggestion = item.suggestion
        if isinstance(suggestion, dict) and suggestion:
            return {str(k): v for k, v in suggestion.items()}
        if isinstance(suggestion, int | float) and len(item.cells) == 1:
            return {item.cells[0]: suggestion}
        raise StoreError(f"item {item.id} has no suggestion to accept; pass --value or --confirm-as-printed")
    if decision == "confirmed":
        return {k: item.final[k] for k in item.cells if k in item.final}
    raise StoreError(f"unknown decision {decision!r}; use one of {', '.join(DECISIONS)}")


def _filters(rule: str | None, status: str | None, report: str | None) -> tuple[str, list[str]]:
    clauses, args = [], []
    if rule:
        clauses.append("rule = ?")
        args.append(rule)
    if status and status != "all":
        clauses.append("status = ?")
        args.append(status)
    if report:
        clauses.append("(path = ? OR sha256 = ? OR sha256 IN (SELECT sha256 FROM documents WHERE abspath = ?))")
        name = shown(report)  # reports hold their paths as outputs give them
        args += [name, name, _abspath(name)]
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), args


def _item(row: Sequence[Any]) -> QueueItem:
    (
        item_id,
        sha,
        path,
        rule,
        scope,
        cells,
        reason,
        parser,
        model,
        suggestion,
        severity,
        spans,
        cell_spans,
        final,
        status,
        created_at,
        updated_at,
        resolution,
        places,
    ) = row
    return QueueItem(
        item_id,
        sha,
        path,
        rule,
        scope,
        json.loads(cells),
        reason,
        _load(parser),
        _load(model),
        _load(suggestion),
        severity,
        json.loads(spans),
        json.loads(cell_spans),
        json.loads(final),
        status,
        created_at,
        updated_at,
        _load(resolution),
        json.loads(places),
    )


def _load(text: str | None) -> Any:
    return json.loads(text) if text else None


def _abspath(path: str) -> str:
    return str(Path(path).resolve())
