"""The review queue's store: idempotent writes, concurrent writers, crashes, migrations, audit."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from review_support import fake_copy, variant

from extractor import review
from extractor.errors import StoreError
from extractor.pipeline import extract_file
from extractor.review import SCHEMA_V1, SCHEMA_V2, SCHEMA_VERSION, Store
from extractor.schema import Report

FORK = multiprocessing.get_context("fork")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """Seed 000 with app.new.total printed one too high: two items (app.flow, app.row_sum)."""
    path = variant(tmp_path_factory.mktemp("seed"), "000", "app.new.total")
    result = extract_file(path)
    assert {i.rule for i in result.review} == {"app.flow", "app.row_sum"}
    return result


def rows(path: Path, sql: str) -> list[Any]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def test_writing_twice_keeps_one_copy_of_each_item(tmp_path: Path, report: Report) -> None:
    queue = tmp_path / "q.db"
    with Store(queue) as store:
        first = store.write_report(report, "text")
        created = {i.id: i.created_at for i in store.items()}
        second = store.write_report(report, "text")
        assert (first.added, first.kept) == (2, 0)
        assert (second.added, second.kept, second.withdrawn) == (0, 2, 0)
        assert {i.id: i.created_at for i in store.items()} == created
        assert store.counts() == {
            "app.flow": {"open": 1, "resolved": 0, "withdrawn": 0},
            "app.row_sum": {"open": 1, "resolved": 0, "withdrawn": 0},
        }
        assert rows(queue, "PRAGMA journal_mode") == [("wal",)]


def test_an_item_no_longer_raised_is_withdrawn_and_a_decision_survives_rewrites(tmp_path: Path, report: Report) -> None:
    with Store(tmp_path / "q.db") as store:
        store.write_report(report)
        flow = next(i for i in report.review if i.rule == "app.flow")
        store.resolve(flow.id, "confirmed", by="ann", note="as printed")
        store.write_report(report.model_copy(update={"review": [flow]}))
        states = {i.rule: i.status for i in store.items()}
        assert states == {"app.flow": "resolved", "app.row_sum": "withdrawn"}
        assert store.get(flow.id).resolution["by"] == "ann"  # type: ignore[index]


def test_resolutions_are_audited_and_the_audit_log_cannot_be_changed(tmp_path: Path, report: Report) -> None:
    queue = tmp_path / "q.db"
    item = report.review[0]
    with Store(queue) as store:
        store.write_report(report)
        store.resolve(item.id, "value", by="ann", cell="app.new.total", value=10, note="typo")
        store.resolve(item.id[:8], "confirmed", by="bob", note="no: printed so")
        history = store.history(item.id)
    assert [(h.by, h.action, h.note) for h in history] == [
        ("ann", "resolve:value", "typo"),
        ("bob", "resolve:confirmed", "no: printed so"),
    ]
    assert history[0].old["app.new.total"] == 11 and history[0].new == {"app.new.total": 10}
    assert history[1].old == {"app.new.total": 10}
    for sql in ("UPDATE audit SET by = 'eve'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"), sqlite3.connect(queue) as db:
            db.execute(sql)
    assert len(rows(queue, "SELECT * FROM audit")) == 2


def test_a_decision_that_cannot_apply_is_refused(tmp_path: Path, report: Report) -> None:
    flow = next(i for i in report.review if i.rule == "app.flow")
    with Store(tmp_path / "q.db") as store:
        store.write_report(report)
        with pytest.raises(StoreError, match="--cell"):
            store.resolve(flow.id, "value", by="ann", value=3)
        with pytest.raises(StoreError, match="not one of"):
            store.resolve(flow.id, "value", by="ann", value=3, cell="app.granted.natural")
        with pytest.raises(StoreError, match="no suggestion"):
            store.resolve(flow.id, "suggestion", by="ann")
        with pytest.raises(StoreError, match="--by"):
            store.resolve(flow.id, "confirmed", by=" ")
        with pytest.raises(StoreError, match="no review item"):
            store.get("ffffffff")
        assert store.get(flow.id).status == "open"
        assert store.history(flow.id) == []


def _writer(queue: str, reports: list[Report]) -> None:
    with Store(queue) as store:
        for one in reports:
            store.write_report(one, "text")


def test_concurrent_writers_lose_and_duplicate_nothing(tmp_path: Path, report: Report) -> None:
    queue = str(tmp_path / "q.db")
    workers, per_worker = 4, 15
    batches = [[fake_copy(report, w * 100 + n) for n in range(per_worker)] + [report] for w in range(workers)]
    processes = [FORK.Process(target=_writer, args=(queue, batch)) for batch in batches]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
    assert [p.exitcode for p in processes] == [0] * workers
    with Store(queue) as store:
        assert store.integrity() == "ok"
        ids = [i.id for i in store.items()]
    expected = {item.id for batch in batches for one in batch for item in one.review}
    assert len(ids) == len(set(ids)) == len(expected) == (workers * per_worker + 1) * 2
    assert set(ids) == expected
    assert rows(Path(queue), "SELECT COUNT(*) FROM documents") == [(workers * per_worker + 1,)]


def _die_mid_write(queue: str, report: Report) -> None:
    calls = 0
    insert = review._insert_item

    def insert_then_die(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # one item is in the open transaction: kill the process there
            os.kill(os.getpid(), signal.SIGKILL)
        insert(*args)

    review._insert_item = insert_then_die  # type: ignore[assignment]
    with Store(queue) as store:
        store.write_report(report, "text")


def test_a_process_killed_mid_write_leaves_a_valid_database(tmp_path: Path, report: Report) -> None:
    queue = str(tmp_path / "q.db")
    with Store(queue) as store:
        store.write_report(report, "text")
    doomed = fake_copy(report, 1)
    process = FORK.Process(target=_die_mid_write, args=(queue, doomed))
    process.start()
    process.join(60)
    assert process.exitcode == -signal.SIGKILL
    with Store(queue) as store:
        assert store.integrity() == "ok"
        assert {i.sha256 for i in store.items()} == {report.source.sha256}  # nothing half-written
        assert store.document_text(doomed.source.sha256) is None
        assert store.write_report(doomed, "text").added == 2  # and the queue still takes writes
        assert len(list(store.items())) == 4


def test_a_version_1_queue_is_upgraded_in_place(tmp_path: Path) -> None:
    queue = tmp_path / "old.db"
    resolution = {
        "decision": "confirmed",
        "values": {"app.new.total": 11},
        "note": "",
        "by": "ann",
        "at": "2025-01-01T00:00:00.000Z",
    }
    with sqlite3.connect(queue) as db:
        db.executescript(SCHEMA_V1)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO items (id, sha256, path, rule, cells, reason, parser, status, created_at, resolution) "
            "VALUES ('abc123', 'sha-1', 'r.txt', 'app.flow', '[\"app.new.total\"]', 'does not add up', "
            "'{\"app.new.total\": 11}', 'resolved', '2025-01-01T00:00:00.000Z', ?)",
            (json.dumps(resolution),),
        )
        db.execute(
            "INSERT INTO audit (item_id, at, by, action, old, new) VALUES ('abc123', 'then', 'ann', "
            "'resolve:confirmed', '{}', '{}')"
        )
    with Store(queue) as store:
        assert store.version() == SCHEMA_VERSION == 3
        item = store.get("abc123")
        assert (item.rule, item.status, item.severity, item.spans, item.parser) == (
            "app.flow",
            "resolved",
            "error",
            {},
            {"app.new.total": 11},
        )
        assert [d.values for d in store.decisions_for("sha-1")] == [{"app.new.total": 11}]
        assert len(store.history("abc123")) == 1
    assert rows(queue, "SELECT sha256, path FROM documents") == [("sha-1", "r.txt")]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), sqlite3.connect(queue) as db:
        db.execute("DELETE FROM audit")


def test_unusable_queue_files_are_refused_with_advice(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot be used as a review queue"):
        Store(junk)
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer extractor"):
        Store(newer)
    with pytest.raises(StoreError, match="no review queue here"):
        Store(tmp_path / "absent.db", create=False)


def test_a_version_2_queue_gains_places_and_keeps_its_items(tmp_path: Path) -> None:
    queue = tmp_path / "v2.db"
    with sqlite3.connect(queue) as db:
        db.executescript(SCHEMA_V1)
        db.executescript(SCHEMA_V2)
        db.execute("PRAGMA user_version = 2")
        db.execute(
            "INSERT INTO items (id, sha256, path, rule, cells, reason, parser, status, created_at, cell_spans) "
            "VALUES ('v2item', 'sha-2', 'r.pdf', 'rl.group_sum', '[\"rl.reconsideration.total\"]', 'off by one', "
            "'{\"rl.reconsideration.total\": 2}', 'open', '2025-01-01T00:00:00.000Z', "
            "'{\"rl.reconsideration.total\": [10, 11]}')"
        )
    with Store(queue) as store:
        assert store.version() == 3
        item = store.get("v2item")
        assert (item.status, item.cell_spans, item.places) == ("open", {"rl.reconsideration.total": [10, 11]}, {})
