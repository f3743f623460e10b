"""The round trip for every rule the verifier raises, on variants of every seed.

Each case changes one thing in a real seed so that the verifier raises the rule under test;
the report is queued, every open item is decided (confirmed as printed: the values stand), and
extracting again must give `accepted` with every decided item resolved and its cells marked
`by: "reviewer"`, without changing a single value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from review_support import seed

from extractor.cli import main
from extractor.pipeline import extract_file
from extractor.schema import Report

Edit = Callable[[str, Report], str]


def change_cell(key: str, printed: str | None = None) -> Edit:
    def edit(text: str, report: Report) -> str:
        span = report.provenance[key]
        new = printed if printed is not None else str(int(text[span.start : span.end]) + 1)
        return text[: span.start] + new + text[span.end :]

    return edit


def change_prose(text: str, report: Report) -> str:
    """Make the prose state a number the tables contradict."""
    for key in ("applications_received", "applications_closed", "applications_pending"):
        if (span := report.provenance.get(f"narrative.{key}")) is not None:
            printed = text[span.start : span.end]
            new = str(int(printed) + 1) if printed.isdigit() else "收到政府信息公开申请7件"
            return text[: span.start] + new + text[span.end :]
    raise AssertionError("no narrative fact to change")


def relabel_year(text: str, report: Report) -> str:
    return text.replace(f"{report.meta.year}年", "2021年")


def unchanged(text: str, report: Report) -> str:
    return text


TABLE_SEEDS = ("000", "001", "002", "003")
CASES: list[tuple[str, str, str, Edit]] = [
    *[(s, "app.flow", "new total +1", change_cell("app.new.total")) for s in TABLE_SEEDS],
    *[(s, "app.row_sum", "new total +1", change_cell("app.new.total")) for s in TABLE_SEEDS],
    *[(s, "app.results_sum", "granted natural +1", change_cell("app.granted.natural")) for s in TABLE_SEEDS],
    *[(s, "rl.group_sum", "reconsideration total +1", change_cell("rl.reconsideration.total")) for s in TABLE_SEEDS],
    *[(s, "table.incomplete", "a cell printed blank", change_cell("app.granted.legal", "")) for s in TABLE_SEEDS],
    *[(s, "cell.value", "a count printed 1.5", change_cell("app.granted.legal", "1.5")) for s in TABLE_SEEDS],
    *[(s, "narrative.mismatch", "prose contradicts table", change_prose) for s in ("000", "001", "002")],
    ("003", "template.outdated", "2019 layout in a 2021 report", relabel_year),
    ("004", "table.missing", "tables published as images", unchanged),
]


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.mark.parametrize(
    ("prefix", "rule", "what", "edit"), CASES, ids=[f"{p}-{r}-{w.replace(' ', '_')}" for p, r, w, _ in CASES]
)
def test_round_trip(tmp_path: Path, prefix: str, rule: str, what: str, edit: Edit) -> None:
    original = seed(prefix)
    path, queue = tmp_path / original.name, str(tmp_path / "review.db")
    path.write_text(edit(original.read_text(encoding="utf-8"), extract_file(original)), encoding="utf-8")

    first = json.loads(run(str(path), "--queue", queue).stdout)
    raised = {item["rule"] for item in first["review"]}
    assert rule in raised, f"{what}: expected {rule}, got {sorted(raised)}"
    open_items = [item for item in first["review"] if item["status"] == "open"]
    for item in open_items:
        run("review", "resolve", item["id"], "--confirm-as-printed", "--by", "tester", "--note", what, "--queue", queue)

    second = json.loads(run(str(path), "--queue", queue).stdout)
    assert second["status"] == "accepted"
    assert second["cells"] == first["cells"]
    assert {i["id"]: i["status"] for i in second["review"]} == {i["id"]: "resolved" for i in open_items}
    decided_cells = {k for item in open_items for k in item["cells"] if k in first["cells"]}
    assert {k for k, span in second["provenance"].items() if span["by"] == "reviewer"} == decided_cells
    assert all(second["provenance"][k]["reviewer"] == "tester" for k in decided_cells)
    listed = run("review", "list", "--queue", queue).stdout
    assert [line for line in listed.splitlines() if not line.startswith("#")] == []
