"""`extract ... --queue` and `extract review ...` end to end: flag, list, resolve, re-extract, accepted."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from conftest import not_utf8_name
from review_support import seed, variant

from extractor.batch import BatchSpec, run_batch
from extractor.cli import main
from extractor.pipeline import extract_file


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def extract(path: Path, queue: Path) -> dict[str, Any]:
    result = cli(str(path), "--queue", str(queue))
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def open_ids(queue: Path) -> list[str]:
    result = cli("review", "list", "--queue", str(queue))
    assert result.exit_code == 0, result.stderr
    return [line.split()[0] for line in result.stdout.splitlines() if not line.startswith("#")]


def test_a_corrected_value_is_reapplied_and_the_report_accepted(tmp_path: Path) -> None:
    path, queue = variant(tmp_path, "000", "app.new.total"), tmp_path / "review.db"
    first = extract(path, queue)
    assert first["status"] == "needs_review"
    listed = cli("review", "list", "--queue", str(queue)).stdout
    assert "app.flow" in listed and "app.row_sum" in listed and "# app.flow: 1 open" in listed
    row_sum = next(i for i in first["review"] if i["rule"] == "app.row_sum")
    shown = cli("review", "show", row_sum["id"][:6], "--queue", str(queue))
    assert "[[11]]" in shown.stdout and "本年新收政府信息公开申请数量" in shown.stdout
    done = cli(
        "review",
        "resolve",
        row_sum["id"],
        "--cell",
        "app.new.total",
        "--value",
        "10",
        "--note",
        "misprint: the row adds up to 10",
        "--by",
        "ann",
        "--queue",
        str(queue),
    )
    assert done.exit_code == 0 and "value set by reviewer" in done.stdout

    second = extract(path, queue)
    assert second["status"] == "accepted"
    span = second["provenance"]["app.new.total"]
    assert (second["cells"]["app.new.total"], span["by"], span["reviewer"]) == (10, "reviewer", "ann")
    assert span["at"] and span["start"] == first["provenance"]["app.new.total"]["start"]
    unchanged = {k: v for k, v in first["cells"].items() if k != "app.new.total"}
    assert {k: v for k, v in second["cells"].items() if k != "app.new.total"} == unchanged
    assert all(c["ok"] is not False for c in second["checks"])
    assert [(i["rule"], i["status"]) for i in second["review"]] == [("app.row_sum", "resolved")]
    assert open_ids(queue) == []
    history = cli("review", "history", row_sum["id"], "--queue", str(queue)).stdout
    assert "ann  resolve:value" in history and '"app.new.total": 10' in history and "misprint" in history


def test_confirmed_as_printed_keeps_the_numbers_and_the_failed_checks(tmp_path: Path) -> None:
    path, queue = variant(tmp_path, "000", "app.new.total"), tmp_path / "review.db"
    first = extract(path, queue)
    for item_id in open_ids(queue):
        done = cli("review", "resolve", item_id, "--confirm-as-printed", "--by", "bo", "--queue", str(queue))
        assert done.exit_code == 0
    second = extract(path, queue)
    assert second["status"] == "accepted"
    assert second["cells"] == first["cells"]
    assert sorted(c["rule"] for c in second["checks"] if c["ok"] is False) == ["app.flow", "app.row_sum"]
    assert {i["status"] for i in second["review"]} == {"resolved"}
    assert {i["resolution"]["decision"] for i in second["review"]} == {"confirmed"}
    assert second["provenance"]["app.new.total"]["by"] == "reviewer"
    assert second["provenance"]["app.new.total"]["reviewer"] == "bo"
    assert second["provenance"]["app.granted.natural"]["by"] == "parser"  # not part of any decided item


def test_tables_published_as_images_are_confirmed_as_not_published(tmp_path: Path) -> None:
    path, queue = seed("004"), tmp_path / "review.db"
    first = extract(path, queue)
    assert first["status"] == "needs_review"
    assert [i["rule"] for i in first["review"]] == ["table.missing"] * 3
    for item_id in open_ids(queue):
        done = cli(
            "review",
            "resolve",
            item_id,
            "--confirm-as-printed",
            "--note",
            "tables are images",
            "--by",
            "cy",
            "--queue",
            str(queue),
        )
        assert "tables not published" in done.stdout
    second = extract(path, queue)
    assert second["status"] == "accepted"
    assert [(i["rule"], i["status"]) for i in second["review"]] == [("table.missing", "resolved")] * 3
    assert second["cells"] == {}


def test_a_changed_file_does_not_inherit_decisions_and_says_so(tmp_path: Path) -> None:
    path, queue = variant(tmp_path, "000", "app.new.total"), tmp_path / "review.db"
    extract(path, queue)
    for item_id in open_ids(queue):
        cli("review", "resolve", item_id, "--confirm-as-printed", "--by", "ann", "--queue", str(queue))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("一、总体情况", "一、总体情况 ", 1), encoding="utf-8")  # another edition
    result = cli(str(path), "--queue", str(queue))
    assert "changed since a reviewer decided" in result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "needs_review"
    assert {(i["rule"], i["status"]) for i in report["review"]} == {
        ("app.flow", "open"),
        ("app.row_sum", "open"),
        ("review.document_changed", "open"),
    }
    assert next(i for i in report["review"] if i["rule"] == "review.document_changed")["severity"] == "warning"


def test_exports(tmp_path: Path) -> None:
    queue = tmp_path / "review.db"
    extract(variant(tmp_path, "000", "app.new.total"), queue)
    extract(seed("004"), queue)
    first = open_ids(queue)[0]
    cli("review", "resolve", first, "--confirm-as-printed", "--by", "ann", "--queue", str(queue))
    lines = [json.loads(line) for line in cli("review", "export", "--queue", str(queue)).stdout.splitlines()]
    assert len(lines) == 5 and {line["status"] for line in lines} == {"open", "resolved"}
    assert all({"id", "status", "rule", "reason", "path", "sha256", "cells"} <= line.keys() for line in lines)
    table = list(csv.DictReader(io.StringIO(cli("review", "export", "--format", "csv", "--queue", str(queue)).stdout)))
    assert len(table) == 5 and next(r for r in table if r["id"] == first)["by"] == "ann"
    tasks = json.loads(cli("review", "export", "--format", "labelstudio", "--queue", str(queue)).stdout)
    flow = next(t for t in tasks if t["data"]["rule"] == "app.flow")
    for result in flow["predictions"][0]["result"]:
        value = result["value"]
        assert flow["data"]["text"][value["start"] : value["end"]] == value["text"] and value["text"].strip().isdigit()
    page = tmp_path / "queue.html"
    assert cli("review", "export", "--html", str(page), "--queue", str(queue)).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert all(f'id="item-{line["id"]}"' in html for line in lines) and "<form" not in html
    assert "http://" not in html and "https://" not in html  # self-contained: nothing fetched


def test_mistakes_get_one_line_and_exit_2(tmp_path: Path) -> None:
    queue = tmp_path / "review.db"
    missing = cli("review", "list", "--queue", str(tmp_path / "none.db"))
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1 and "--queue" in missing.stderr
    extract(variant(tmp_path, "000", "app.new.total"), queue)
    item = open_ids(queue)[0]
    for args in (
        ["show", "nope"],
        ["resolve", item, "--by", "a"],
        ["resolve", item, "--value", "3", "--confirm-as-printed", "--by", "a"],
        ["resolve", item, "--value", "3", "--by", "a"],
    ):
        result = cli("review", *args, "--queue", str(queue))
        assert result.exit_code == 2 and result.stderr.startswith("extract: error: "), args
        assert result.stderr.count("\n") == 1


def test_plain_extract_writes_no_queue(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli(str(seed("004")))
    assert result.exit_code == 0 and not (tmp_path / "review.db").exists()
    assert json.loads(result.stdout) == extract_file(seed("004")).model_dump(mode="json")


def test_a_word_report_shows_where_each_cell_sits_in_the_file(tmp_path: Path) -> None:
    from docgen import blocks_from_text, write_docx

    text = variant(tmp_path, "000", "app.new.total").read_text(encoding="utf-8")
    path, queue = write_docx(blocks_from_text(text), tmp_path / "report.docx"), tmp_path / "review.db"
    report = extract(path, queue)
    row_sum = next(i for i in report["review"] if i["rule"] == "app.row_sum")
    assert report["provenance"]["app.new.total"]["where"].startswith("table")
    shown = cli("review", "show", row_sum["id"][:6], "--queue", str(queue)).stdout
    assert "[table " in shown and ", row " in shown and ", column " in shown


def test_a_file_whose_name_is_not_utf8_is_queued_with_its_text(tmp_path: Path) -> None:
    changed = variant(tmp_path, "000", "app.new.total")
    path = not_utf8_name(tmp_path / "gbk", "报告", changed.read_bytes())
    assert cli(str(path), "--queue", str(tmp_path / "review.db")).exit_code == 0
    # In a batch of one worker process the report is made in the parent and queued at the end.
    run_batch(BatchSpec(inputs=[str(path)], out=tmp_path / "out", workers=1))
    for queue in (tmp_path / "review.db", tmp_path / "out" / "review.db"):
        with sqlite3.connect(queue) as db:
            ((name, text),) = db.execute("SELECT path, text FROM documents").fetchall()
        assert "\\x" in name and text == changed.read_text(encoding="utf-8")
