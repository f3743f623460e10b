"""Batch jobs offline: inputs, counts of a mixed batch, outputs, shards and merge, manifest, retries."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import synth
from click.testing import CliRunner
from conftest import SEEDS, gold_for, not_utf8_name

from extractor import batch_parquet, batch_run
from extractor.batch import BatchSpec, JobOptions, collect_inputs, in_shard, merge, parse_shard, run_batch
from extractor.batch_run import Outcome, extract_chunk
from extractor.cli import main
from extractor.errors import ConfigError, StoreError
from extractor.ingest import load
from extractor.journal import JOURNAL, Journal, encode, slim
from extractor.review import Store
from extractor.schema import Extraction

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared/seeds is not beside the project")


def make_variants(folder: Path, n: int, seed: int = 7) -> list[Path]:
    """`n` synthetic reports in every layout (tests/synth.py), plus the real seeds."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        layout = synth.LAYOUTS[i % len(synth.LAYOUTS)]
        path = folder / f"synth_{i:04d}.{'html' if layout == 'html' else 'txt'}"
        path.write_text(synth.render(synth.random_report(rng), layout, rng), encoding="utf-8")
        paths.append(path)
    for seed_path in SEEDS:
        target = folder / seed_path.name
        target.write_bytes(seed_path.read_bytes())
        paths.append(target)
    return paths


def mixed_inputs(folder: Path) -> list[str]:
    """The five seeds (004 is narrative-only), an empty file, a binary one and a missing one."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    return [*(str(s) for s in SEEDS), str(folder / "empty.txt"), str(folder / "binary.txt"), str(folder / "gone.txt")]


def results(out: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_mixed_batch_counts(tmp_path: Path) -> None:
    result = run_batch(BatchSpec(inputs=mixed_inputs(tmp_path / "in"), out=tmp_path / "out", workers=2))
    summary = result.summary
    expected = [gold_for(s)["expected_status"] for s in SEEDS]
    assert summary["by_status"] == {
        "accepted": expected.count("accepted"),
        "needs_review": expected.count("needs_review"),
        "failed": 3,
    }
    assert summary["reports"] == 8 and result.pending == 0 and not result.unfinished
    reasons = {Path(f["path"]).name: f["reason"] for f in summary["failed"]}
    assert set(reasons) == {"empty.txt", "binary.txt", "gone.txt"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]
    assert "no such file" in reasons["gone.txt"]
    lines = results(tmp_path / "out")
    assert [r["source"]["path"] for r in lines] == sorted(r["source"]["path"] for r in lines)
    by_name = {Path(r["source"]["path"]).name: r for r in lines}
    for seed in SEEDS:
        assert by_name[seed.name]["cells"] == gold_for(seed)["cells"]
        assert by_name[seed.name]["status"] == gold_for(seed)["expected_status"]
    assert by_name["gone.txt"]["status"] == "failed" and by_name["gone.txt"]["extraction"]["error"]
    assert sum(summary["by_year"].values()) == sum(summary["by_agency"].values()) == 5
    narrative_only = by_name[SEEDS[4].name]
    assert narrative_only["cells"] == {} and summary["by_rule"]["table.missing"] >= 3


def test_the_review_queue_is_filled_once_however_often_the_batch_runs(tmp_path: Path) -> None:
    inputs, out = mixed_inputs(tmp_path / "in"), tmp_path / "out"
    summary = run_batch(BatchSpec(inputs=inputs, out=out, workers=1)).summary
    expected = sum(summary["by_rule"].values())
    with Store(out / "review.db", create=False) as store:
        assert expected > 0 and store.count(status="all") == expected
        assert {i.rule for i in store.items(status="all")} == set(summary["by_rule"])
        assert all(store.document_text(i.sha256) for i in store.items(status="all"))
    page = (out / "review.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html") or page.lower().startswith("<!doctype html")
    assert "table.missing" in page
    run_batch(BatchSpec(inputs=inputs, out=out, workers=1))
    with Store(out / "review.db", create=False) as store:
        assert store.count(status="all") == expected and store.count(status="open") == expected


def queue_rows(out: Path) -> list[tuple[object, ...]]:
    """What the queue in DIR holds, without the times it was written."""
    with Store(out / "review.db", create=False) as store:
        items = store.db.execute(
            "SELECT id, sha256, path, rule, scope, cells, reason, parser, model, suggestion, severity, spans, "
            "cell_spans, final, status, resolution, places FROM items ORDER BY id"
        ).fetchall()
        documents = store.db.execute("SELECT sha256, path, agency, year, kind, text FROM documents ORDER BY sha256")
        return [*items, *documents.fetchall()]


def test_workers_queue_review_items_and_the_end_fills_in_what_is_missing(tmp_path: Path) -> None:
    inputs = [str(p) for p in make_variants(tmp_path / "in", 12)] + mixed_inputs(tmp_path / "bad")[5:]
    out = tmp_path / "out"
    run_batch(BatchSpec(inputs=inputs, out=out, workers=2))
    with Journal(out, readonly=True) as journal:
        with_items = [slot.header for slot in journal.index.values() if slot.header["rules"]]
    assert with_items and all(header["queued"] for header in with_items)  # the workers recorded them
    # The queue the workers filled holds what filling it from the journal alone gives.
    whole = tmp_path / "from_journal"
    run_batch(BatchSpec(inputs=inputs, out=whole, workers=1))  # one process: nothing is queued on the way
    reference = queue_rows(whole)
    assert len(reference) > len(with_items) and queue_rows(out) == reference
    # A queue that lost documents (deleted, a power cut) gets them back at the end of the next run.
    (out / "review.db").unlink()
    run_batch(BatchSpec(inputs=inputs, out=out, workers=2))
    assert queue_rows(out) == reference
    # Shards queued their own reports; the merged DIR's queue is filled from their journals.
    shards = [tmp_path / f"shard{k}" for k in (1, 2)]
    for k, shard in enumerate(shards, 1):
        run_batch(BatchSpec(inputs=inputs, out=shard, workers=2, options=JobOptions(shard=(k, 2))))
    merge(shards, tmp_path / "merged")
    assert queue_rows(tmp_path / "merged") == reference


def test_a_report_is_queued_only_where_it_can_be_and_never_when_it_stays_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extractor import batch_queue
    from extractor.pipeline import parser_report, read_document

    monkeypatch.setattr(batch_queue, "_ATTACHED", batch_queue._Attached())
    result = read_document(load(str(SEEDS[4])))  # narrative-only: tables missing, items to review
    report, text = parser_report(result), result.document.text
    assert report.review
    assert not batch_queue.finished("a", report, text).header["queued"]  # not a batch's worker
    (tmp_path / "locked" / "review.db").mkdir(parents=True)  # a queue that cannot be opened
    batch_queue.attach(tmp_path / "locked")
    assert not batch_queue.finished("a", report, text).header["queued"]  # the end of the run records it
    batch_queue.attach(tmp_path / "ok")
    (tmp_path / "ok").mkdir()
    stopped = report.model_copy(update={"extraction": Extraction(parser_version="p", error="transient: timed out")})
    assert not batch_queue.finished("a", stopped, text).header["queued"]
    assert not (tmp_path / "ok" / "review.db").exists()  # a report left pending is not queued
    assert batch_queue.finished("a", report, text).header["queued"]
    with Store(tmp_path / "ok" / "review.db", create=False) as store:
        assert store.count(status="all") == len(report.review)


def test_cells_csv_and_parquet(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch(BatchSpec(inputs=[str(s) for s in SEEDS], out=out, workers=1))
    with (out / "cells.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["report", "agency", "year", "template", "key", "value", "by", "start", "end", "status"]
    expected = sum(len(r["cells"]) + len(r["narrative"]) for r in results(out))
    assert len(rows) == expected
    first = results(out)[0]
    row = next(r for r in rows if r["report"] == first["source"]["path"] and r["key"] in first["cells"])
    span = first["provenance"][row["key"]]
    assert float(row["value"]) == first["cells"][row["key"]]
    assert (int(row["start"]), int(row["end"]), row["by"]) == (span["start"], span["end"], span["by"])
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(out / "cells.parquet")
    assert table.num_rows == expected and table.column_names[:2] == ["report", "agency"]
    assert table.equals(cells_csv_with_types(out))


def test_cells_parquet_is_converted_block_by_block_and_left_out_without_pyarrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    monkeypatch.setattr(batch_parquet, "BLOCK", 3000)  # each report's rows fill a block or more
    run_batch(BatchSpec(inputs=[str(s) for s in SEEDS], out=tmp_path / "out", workers=1))
    parquet = pq.ParquetFile(tmp_path / "out" / "cells.parquet")
    assert parquet.metadata.num_row_groups >= len(SEEDS)
    assert parquet.read().equals(cells_csv_with_types(tmp_path / "out"))
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the extra were not installed
    summary = run_batch(BatchSpec(inputs=[str(s) for s in SEEDS], out=tmp_path / "bare", workers=1)).summary
    assert (tmp_path / "bare" / "cells.csv").exists() and not list((tmp_path / "bare").glob("*parquet*"))
    assert "parquet" not in summary["run"]


def cells_csv_with_types(out: Path) -> object:
    """cells.csv as pyarrow reads it with cells.parquet's column types."""
    pa, pacsv = pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.csv")
    types = {name: pa.string() for name in ("report", "agency", "template", "key", "by", "status")}
    types.update(year=pa.int32(), value=pa.float64(), start=pa.int64(), end=pa.int64())
    convert = pacsv.ConvertOptions(column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False)
    return pacsv.read_csv(out / "cells.csv", convert_options=convert)


def test_inputs_directories_lists_and_out_dir_excluded(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/x.txt", "a/b/y.html", "a/b/z.md", "a/b/skip.json", "a/.hidden.txt"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "a" / "out").mkdir()
    (tmp_path / "a" / "out" / "review.html").write_text("x", encoding="utf-8")
    (tmp_path / "list.lst").write_text("# reports\na/x.txt\n\nother.txt\n", encoding="utf-8")
    found = collect_inputs(
        [str(tmp_path / "a"), f"@{tmp_path / 'list.lst'}", str(tmp_path / "missing.txt")],
        exclude=tmp_path / "a" / "out",
    )
    assert found == [str(tmp_path / p) for p in ("a/x.txt", "a/b/y.html", "a/b/z.md", "other.txt", "missing.txt")]
    assert collect_inputs([str(tmp_path / "list.lst")]) == [str(tmp_path / "a/x.txt"), str(tmp_path / "other.txt")]
    with pytest.raises(ConfigError):
        collect_inputs(["@" + str(tmp_path / "nolist.txt")])


def test_shards_partition_the_inputs() -> None:
    paths = [f"reports/{i}.txt" for i in range(1000)]
    shares = [[p for p in paths if in_shard(p, (k, 4))] for k in range(1, 5)]
    assert sorted(p for share in shares for p in share) == sorted(paths)
    assert all(150 < len(share) < 350 for share in shares)
    assert parse_shard("2/8") == (2, 8)
    for bad in ("0/4", "5/4", "x", "1/0"):
        with pytest.raises(ConfigError):
            parse_shard(bad)


def test_shards_merged_equal_the_unsharded_run(tmp_path: Path) -> None:
    inputs = [str(p) for p in make_variants(tmp_path / "in", 40)] + mixed_inputs(tmp_path / "bad")[5:]
    whole = run_batch(BatchSpec(inputs=inputs, out=tmp_path / "whole", workers=1)).summary
    shards = [tmp_path / f"shard{k}" for k in (1, 2, 3)]
    for k, out in enumerate(shards, 1):
        run_batch(BatchSpec(inputs=inputs, out=out, workers=1, options=JobOptions(shard=(k, 3))))
    assert all((out / "results.jsonl").stat().st_size for out in shards)
    merged = merge(shards, tmp_path / "merged")
    for name in ("results.jsonl", "cells.csv"):
        assert (tmp_path / "merged" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    assert {k: v for k, v in merged.items() if k != "run"} == {k: v for k, v in whole.items() if k != "run"}
    assert merge(shards, tmp_path / "merged")["reports"] == whole["reports"]  # merging again adds nothing
    with Store(tmp_path / "merged" / "review.db") as merged_queue, Store(tmp_path / "whole" / "review.db") as queue:
        assert merged_queue.count(status="all") == queue.count(status="all") == sum(whole["by_rule"].values())
    with pytest.raises(StoreError, match="new DIR"):
        merge(shards, shards[0])


def test_other_settings_on_an_existing_dir_are_refused_unless_forced(tmp_path: Path) -> None:
    inputs, out = [str(SEEDS[0])], tmp_path / "out"
    run_batch(BatchSpec(inputs=inputs, out=out, workers=1))
    with pytest.raises(StoreError, match=r"other settings.*shard"):
        run_batch(BatchSpec(inputs=inputs, out=out, workers=1, options=JobOptions(shard=(1, 2))))
    cli = CliRunner().invoke(main, ["batch", *inputs, "--out", str(out), "--shard", "1/1", "-q"])
    assert cli.exit_code == 2 and "--force" in cli.output
    forced = run_batch(BatchSpec(inputs=inputs, out=out, workers=1, options=JobOptions(shard=(1, 1)), force=True))
    assert (out / "journal.superseded-1.jsonl").exists() and forced.progress.done == 1
    assert (out / "journal.superseded-1.rows").exists()


def test_resume_skips_finished_and_retry_failed_redoes_failed(tmp_path: Path) -> None:
    bad = tmp_path / "late.txt"
    bad.write_bytes(b"")
    inputs, out = [str(SEEDS[0]), str(bad)], tmp_path / "out"
    assert run_batch(BatchSpec(inputs=inputs, out=out, workers=1)).summary["by_status"]["failed"] == 1
    again = run_batch(BatchSpec(inputs=inputs, out=out, workers=1))
    assert again.progress.done == 0 and again.progress.resumed == 2 and again.summary["by_status"]["failed"] == 1
    retried = run_batch(BatchSpec(inputs=inputs, out=out, workers=1, retry_failed=True))
    assert retried.progress.done == 1 and retried.summary["by_status"]["failed"] == 1
    assert len(results(out)) == 2
    with Journal(out, readonly=True) as journal:
        assert journal.records == 3  # the first failed record stays in the journal, superseded


def _edit(path: Path, data: bytes) -> None:
    """Write `data` to `path` with a modification time no run can have seen (a coarse clock
    could give an edit within the same tick the time the file had)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_bytes(data)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_an_input_edited_replaced_or_made_since_it_was_processed_is_redone(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in SEEDS[:3]:
        (folder / seed.name).write_bytes(seed.read_bytes())
    edited, kept, replaced = (folder / s.name for s in SEEDS[:3])
    late = folder / "late.txt"  # named in the list before it exists: failed, no such file
    listing = tmp_path / "inputs.lst"
    listing.write_text("".join(f"{p}\n" for p in (edited, kept, replaced, late)), encoding="utf-8")
    out = tmp_path / "out"
    first = run_batch(BatchSpec(inputs=[str(listing)], out=out, workers=1))
    assert first.summary["by_status"]["failed"] == 1

    _edit(edited, edited.read_bytes().replace(b"\n", b"\r\n"))  # same report, other bytes
    _edit(late, SEEDS[3].read_bytes())
    os.replace(_copy(SEEDS[4], tmp_path / "other.txt"), replaced)  # another file under the same name
    again = run_batch(BatchSpec(inputs=[str(listing)], out=out, workers=1))
    assert again.progress.done == 3 and again.progress.resumed == 1
    assert again.summary["run"]["changed"] == 3 and again.summary["by_status"]["failed"] == 0

    fresh = tmp_path / "fresh"
    run_batch(BatchSpec(inputs=[str(listing)], out=fresh, workers=1))
    assert (out / "results.jsonl").read_bytes() == (fresh / "results.jsonl").read_bytes()
    assert (out / "cells.csv").read_bytes() == (fresh / "cells.csv").read_bytes()
    assert run_batch(BatchSpec(inputs=[str(listing)], out=out, workers=2)).progress.done == 0

    kept.unlink()  # a file gone since keeps its record
    gone = run_batch(BatchSpec(inputs=[str(listing)], out=out, workers=1))
    assert gone.progress.done == 0 and gone.summary["reports"] == 4


def test_a_changed_files_earlier_version_leaves_the_queue_and_comes_back_with_it(tmp_path: Path) -> None:
    needs_review = next(s for s in SEEDS if gold_for(s)["expected_status"] == "needs_review")
    report, twin = _copy(needs_review, tmp_path / "in" / "a.txt"), _copy(needs_review, tmp_path / "twin" / "b.txt")
    out = tmp_path / "out"
    first_sha = load(report).sha256

    def queue() -> dict[tuple[str, str], int]:
        """Items by version of the file (the first one, or another) and status."""
        with Store(out / "review.db") as store:
            rows = store.db.execute("SELECT sha256 = ?, status, COUNT(*) FROM items GROUP BY 1, 2", (first_sha,))
            return {("first" if first else "other", status): n for first, status, n in rows}

    run_batch(BatchSpec(inputs=[str(report)], out=out, workers=1))
    n = queue()[("first", "open")]
    assert n > 0 and queue() == {("first", "open"): n}
    _edit(report, needs_review.read_bytes() + "\n另有说明。\n".encode())
    run_batch(BatchSpec(inputs=[str(report)], out=out, workers=1))
    assert queue() == {("first", "withdrawn"): n, ("other", "open"): n}
    _edit(report, needs_review.read_bytes())  # the first version again: its items reopen, the other's go
    run_batch(BatchSpec(inputs=[str(report)], out=out, workers=1))
    assert queue() == {("first", "open"): n, ("other", "withdrawn"): n}
    # A version that another input still has keeps its items open.
    run_batch(BatchSpec(inputs=[str(report), str(twin)], out=out, workers=1))
    _edit(report, needs_review.read_bytes() + b"\n")
    run_batch(BatchSpec(inputs=[str(report), str(twin)], out=out, workers=1))
    assert queue()[("first", "open")] == n


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return target


def test_records_of_an_older_journal_without_a_file_stat_count_as_unchanged(tmp_path: Path) -> None:
    inputs, out = [str(_copy(SEEDS[0], tmp_path / "a.txt"))], tmp_path / "out"
    run_batch(BatchSpec(inputs=inputs, out=out, workers=1))
    journal = out / JOURNAL
    line = journal.read_bytes()
    assert line.startswith(b'{"stat":[')
    journal.write_bytes(b"{" + line[line.index(b"],") + 2 :])  # as written before the stat was kept
    _edit(Path(inputs[0]), SEEDS[1].read_bytes())
    assert run_batch(BatchSpec(inputs=inputs, out=out, workers=1)).progress.done == 0


def test_the_stat_kept_is_the_files_before_its_work_read_it(tmp_path: Path) -> None:
    path, out = _copy(SEEDS[0], tmp_path / "a.txt"), tmp_path / "out"
    out.mkdir()
    with Journal(out) as journal:
        tracker = batch_run.Tracker(journal, batch_run.Progress(total=1), None)
        tracker.starting([str(path)])
        _edit(path, SEEDS[1].read_bytes())  # edited while the report is made from it
        tracker.commit(extract_chunk([str(path)]))
        assert journal.changed(str(path))
    with Journal(out, readonly=True) as journal:
        assert journal.changed(str(path))  # as read back from the line


def test_a_torn_journal_line_is_cut_off_and_redone(tmp_path: Path) -> None:
    inputs, out = [str(s) for s in SEEDS[:3]], tmp_path / "out"
    run_batch(BatchSpec(inputs=inputs, out=out, workers=1))
    reference = (out / "results.jsonl").read_bytes()
    journal = out / JOURNAL
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:2]) + lines[2][: len(lines[2]) // 2])  # a crash mid-write
    resumed = run_batch(BatchSpec(inputs=inputs, out=out, workers=1))
    assert resumed.progress.done == 1 and resumed.progress.resumed == 2
    assert (out / "results.jsonl").read_bytes() == reference
    assert len(journal.read_bytes().splitlines()) == 3


def test_rows_kept_beside_the_journal_are_those_of_each_committed_line_after_crashes(tmp_path: Path) -> None:
    def record(path: str, rows: bytes) -> tuple[dict[str, Any], bytes, bytes]:
        header = {"path": path, "status": "accepted", "tokens": [0, 0], "rules": {}}
        return slim(header), encode(header, json.dumps({"source": {"path": path}}).encode()), rows

    with Journal(tmp_path) as journal:
        journal.commit([record("a", b"A\n"), record("b", b"B,1\nB,2\n")])
        end = journal.path.stat().st_size
    with (tmp_path / "journal.rows").open("ab") as rows:
        # A crash after the rows of "c" were written, before its line; then one in the middle of an entry.
        rows.write(b"%d 6\nstale\n%d 40\ntorn" % (end, end))
    with Journal(tmp_path) as journal:
        assert list(journal.rows(["b", "a"])) == [b"B,1\nB,2\n", b"A\n"]
        journal.commit([record("c", b"C\n")])  # written at the offset the stale entry names
    with Journal(tmp_path, readonly=True) as journal:
        assert list(journal.rows(["a", "b", "c"])) == [b"A\n", b"B,1\nB,2\n", b"C\n"]
    assert not (tmp_path / "journal.rows").read_bytes().endswith(b"torn")
    (tmp_path / "journal.rows").unlink()
    with Journal(tmp_path, readonly=True) as journal:
        assert list(journal.rows(["a", "c"])) == [None, None]


def test_cells_csv_rows_are_rebuilt_from_the_reports_when_journal_rows_is_lost(tmp_path: Path) -> None:
    inputs = [str(s) for s in SEEDS[:3]]
    run_batch(BatchSpec(inputs=inputs, out=tmp_path / "fresh", workers=1))
    run_batch(BatchSpec(inputs=inputs[:2], out=tmp_path / "out", workers=1))
    (tmp_path / "out" / "journal.rows").unlink()
    run_batch(BatchSpec(inputs=inputs, out=tmp_path / "out", workers=1))
    assert (tmp_path / "out" / "cells.csv").read_bytes() == (tmp_path / "fresh" / "cells.csv").read_bytes()


def test_the_journal_gives_each_report_as_written_with_or_without_its_header(tmp_path: Path) -> None:
    inputs, out = [str(s) for s in SEEDS[:3]], tmp_path / "out"
    run_batch(BatchSpec(inputs=inputs, out=out, workers=1))
    order = list(reversed(inputs))
    with Journal(out, readonly=True) as journal:
        read = list(journal.read(order))
        reports = list(journal.reports(order))
    assert reports == [report for _, report in read]
    assert [json.loads(report)["source"]["path"] for report in reports] == order
    assert [header["path"] for header, _ in read] == order


def test_cli_batch_progress_and_summary(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    done = runner.invoke(
        main,
        [
            "batch",
            *mixed_inputs(tmp_path / "in"),
            "--out",
            str(out),
            "--workers",
            "1",
            "--price-in",
            "2",
            "--price-out",
            "8",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "8/8 done" in done.output and "3 failed" in done.output and "failed: " in done.output
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["estimated_cost"] == 0
    quiet = runner.invoke(main, ["batch", str(SEEDS[0]), "--out", str(out / "q"), "-q"])
    assert quiet.exit_code == 0 and quiet.output == ""
    model = runner.invoke(main, ["batch", str(SEEDS[0]), "--out", str(out / "m"), "--base-url", "http://x", "-q"])
    assert model.exit_code == 2 and "only make sense with --model" in model.output


def test_cells_csv_quotes_a_path_with_a_comma(tmp_path: Path) -> None:
    odd = tmp_path / 'a,"quoted" name.txt'
    odd.write_bytes(SEEDS[0].read_bytes())
    run_batch(BatchSpec(inputs=[str(odd)], out=tmp_path / "out", workers=1))
    with (tmp_path / "out" / "cells.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["report"] for r in rows} == {str(odd)}
    assert {r["status"] for r in rows} == {gold_for(SEEDS[0])["expected_status"]}


def test_a_file_name_that_is_not_utf8_is_read_resumed_and_listed(tmp_path: Path) -> None:
    good = not_utf8_name(tmp_path / "in", "报告", SEEDS[0].read_bytes())
    empty = not_utf8_name(tmp_path / "in", "空", b"")
    inputs, out = [str(good), str(empty)], tmp_path / "out"
    first = run_batch(BatchSpec(inputs=inputs, out=out, workers=2))
    assert first.progress.done == 2 and first.summary["by_status"]["failed"] == 1
    shown = {
        str(path): f"{tmp_path / 'in'}/{stem}.txt" for path, stem in ((good, r"\xb1\xa8\xb8\xe6"), (empty, r"\xbf\xd5"))
    }
    assert {r["source"]["path"]: r["status"] for r in results(out)} == {
        shown[str(good)]: gold_for(SEEDS[0])["expected_status"],
        shown[str(empty)]: "failed",
    }
    assert [f["path"] for f in first.summary["failed"]] == [shown[str(empty)]]
    with (out / "cells.csv").open(encoding="utf-8", newline="") as handle:
        assert {r["report"] for r in csv.DictReader(handle)} == {shown[str(good)]}
    # The journal gives the paths back as they were, so a rerun finds both done.
    again = run_batch(BatchSpec(inputs=inputs, out=out, workers=1))
    assert again.progress.done == 0 and again.progress.resumed == 2
    assert sorted(in_shard(path, (k, 3)) for path in inputs for k in (1, 2, 3)).count(True) == 2
    listing = tmp_path / "found.list"  # as `find in -name '*.txt' > found.list` writes it
    listing.write_bytes(b"".join(os.fsencode(path) + b"\n" for path in inputs))
    assert collect_inputs([str(listing)]) == inputs


def test_folders_linked_into_an_input_folder_are_read_once_and_a_loop_ends(tmp_path: Path) -> None:
    for name in ("elsewhere/a.txt", "in/b.txt", "in/sub/c.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "in" / "linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "in" / "sub" / "up").symlink_to(tmp_path / "in")  # a loop
    (tmp_path / "in" / "twice").symlink_to(tmp_path / "in" / "sub")  # the same folder again
    (tmp_path / "in" / "out").symlink_to(tmp_path / "out")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "r.txt").write_text("x", encoding="utf-8")
    found = collect_inputs([str(tmp_path / "in"), str(tmp_path / "elsewhere")], exclude=tmp_path / "out")
    assert found == [str(tmp_path / "in" / p) for p in ("b.txt", "linked/a.txt", "sub/c.txt")]


def test_a_folder_that_cannot_be_listed_stops_the_batch_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_variants(tmp_path / "in" / "locked", 1)
    real_scandir = os.scandir

    def scandir(path: str) -> Any:  # what a folder without read permission gives (root reads any)
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    done = CliRunner().invoke(main, ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "out")])
    assert done.exit_code == 2
    assert done.output.strip() == (
        f"extract: error: {tmp_path / 'in' / 'locked'}: cannot list this folder (Permission denied); "
        "fix its permissions, or name the folders to read one by one"
    )


def test_a_batch_with_no_report_files_says_so_and_makes_no_dir(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.xlsx").write_bytes(b"PK")
    done = CliRunner().invoke(main, ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "out")])
    assert done.exit_code == 2 and not (tmp_path / "out").exists()
    assert done.output.startswith(f"extract: error: no report files in {tmp_path / 'in'} (searched for .txt .md ")


@contextlib.contextmanager
def journal_disk_full_from_group(group: int) -> Iterator[None]:
    """The journal's `group`-th fsync (its group-th group of reports) and later ones fail as on a full disk."""
    import extractor.journal as journal_module

    real_fsync, writes = journal_module.os.fsync, {"n": 0}

    def full_disk(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(JOURNAL):
            writes["n"] += 1
            if writes["n"] >= group:
                raise OSError(28, "No space left on device")
        real_fsync(fd)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(journal_module.os, "fsync", full_disk)
        yield


def test_a_full_disk_stops_the_batch_and_a_rerun_resumes(tmp_path: Path) -> None:
    inputs, out = [str(p) for p in make_variants(tmp_path / "in", 20)], tmp_path / "out"
    with journal_disk_full_from_group(3), pytest.raises(StoreError, match="free some space"):
        run_batch(BatchSpec(inputs=inputs, out=out, workers=1))
    assert not (out / "results.jsonl").exists()
    with Journal(out, readonly=True) as journal:
        committed = journal.records
    assert 0 < committed < len(inputs)
    resumed = run_batch(BatchSpec(inputs=inputs, out=out, workers=1))
    assert resumed.progress.resumed == committed and resumed.progress.done == len(inputs) - committed
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == len(inputs)


def test_a_killed_worker_leaves_its_inputs_pending_and_the_rest_finish_on_rerun(tmp_path: Path) -> None:
    inputs = [str(p) for p in make_variants(tmp_path / "in", 30)]
    crash = tmp_path / "in" / "crash.txt"
    crash.write_text("x", encoding="utf-8")
    inputs.append(str(crash))  # late, so that work finished before the crash is kept
    out = tmp_path / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch_run, "extract_chunk", _die_on_crash)
        broken = run_batch(BatchSpec(inputs=inputs, out=out, workers=2))
    assert broken.pending > 0 and broken.unfinished and broken.progress.done > 0
    assert all("worker" in reason for _, reason in broken.unfinished)
    assert broken.progress.done + broken.progress.unfinished == len(inputs)
    crash.unlink()
    fixed = run_batch(BatchSpec(inputs=inputs, out=out, workers=2))
    assert fixed.pending == 0 and fixed.summary["reports"] == len(inputs)
    assert fixed.progress.done == broken.pending


def _die_on_crash(paths: list[str]) -> list[Outcome]:
    if any(p.endswith("crash.txt") for p in paths):
        os._exit(9)  # what the OOM killer does to a worker
    return extract_chunk(paths)
