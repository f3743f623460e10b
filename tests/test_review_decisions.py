"""`apply_decisions`: pure reapplication of reviewers' decisions to a fresh extraction."""

from __future__ import annotations

from pathlib import Path

import pytest
from review_support import seed, variant

from extractor.decisions import CHANGED_RULE, Decision, apply_decisions
from extractor.pipeline import extract_file
from extractor.schema import Report, ReviewItem

AT = "2026-01-02T03:04:05.000Z"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return extract_file(variant(tmp_path_factory.mktemp("seed"), "000", "app.new.total"))


def item(report: Report, rule: str) -> ReviewItem:
    return next(i for i in report.review if i.rule == rule)


def test_no_decisions_change_nothing(report: Report) -> None:
    assert apply_decisions(report, []) is report


def test_a_value_sets_that_cell_only_and_the_verifier_runs_again(report: Report) -> None:
    row_sum = item(report, "app.row_sum")
    decided = apply_decisions(
        report, [Decision(row_sum.id, row_sum.rule, "value", {"app.new.total": 10}, "typo", "ann", AT)]
    )
    assert decided.status == "accepted" and report.status == "needs_review"
    assert {k: v for k, v in decided.cells.items() if decided.cells[k] != report.cells[k]} == {"app.new.total": 10}
    span = decided.provenance["app.new.total"]
    assert (span.by, span.reviewer, span.at) == ("reviewer", "ann", AT)
    assert sum(1 for s in decided.provenance.values() if s.by == "reviewer") == 1
    assert all(check.ok is not False for check in decided.checks)
    assert [(i.rule, i.status, i.resolution.note if i.resolution else None) for i in decided.review] == [
        ("app.row_sum", "resolved", "typo")
    ]
    assert report.cells["app.new.total"] == 11  # the input is not modified


def test_a_confirmation_keeps_the_failed_check_on_record(report: Report) -> None:
    decisions = [
        Decision(i.id, i.rule, "confirmed", {k: report.cells[k] for k in i.cells}, "", "bo", AT) for i in report.review
    ]
    decided = apply_decisions(report, decisions)
    assert decided.status == "accepted" and decided.cells == report.cells
    assert [c.rule for c in decided.checks if c.ok is False] == [c.rule for c in report.checks if c.ok is False]
    assert {i.status for i in decided.review} == {"resolved"}


def test_a_confirmation_of_other_values_does_not_apply(report: Report) -> None:
    flow = item(report, "app.flow")
    stale = Decision(flow.id, flow.rule, "confirmed", {"app.new.total": 12}, "", "bo", AT)
    decided = apply_decisions(report, [stale])
    assert decided.status == "needs_review"
    still = item(decided, "app.flow")
    assert still.status == "open" and still.reason.startswith("A reviewer confirmed other values for app.new.total")
    assert decided.provenance["app.new.total"].by == "parser"


def test_the_later_of_two_decisions_on_a_cell_wins(report: Report) -> None:
    flow, row_sum = item(report, "app.flow"), item(report, "app.row_sum")
    decided = apply_decisions(
        report,
        [
            Decision(row_sum.id, row_sum.rule, "value", {"app.new.total": 10}, "", "ann", "2026-01-02T00:00:00.000Z"),
            Decision(flow.id, flow.rule, "value", {"app.new.total": 13}, "", "bo", "2026-01-01T00:00:00.000Z"),
        ],
    )
    assert decided.cells["app.new.total"] == 10 and decided.provenance["app.new.total"].reviewer == "ann"


def test_a_cell_value_settles_another_readers_doubt_about_that_cell(report: Report) -> None:
    doubt = ReviewItem(
        id="d" * 16, rule="extract.disagree", cells=["app.new.total"], reason="parser 11, model 10", parser=11, model=10
    )
    with_doubt = report.model_copy(update={"review": [*report.review, doubt]})
    row_sum = item(report, "app.row_sum")
    decided = apply_decisions(
        with_doubt, [Decision(row_sum.id, row_sum.rule, "value", {"app.new.total": 10}, "", "ann", AT)]
    )
    assert item(decided, "extract.disagree").status == "resolved"
    assert decided.status == "accepted"


def test_a_changed_document_is_flagged_not_blocked_and_inherits_nothing(report: Report) -> None:
    decided = apply_decisions(report, [], changed_from=["0" * 64])
    warning = item(decided, CHANGED_RULE)
    assert warning.severity == "warning" and warning.status == "open" and "0" * 12 in warning.reason
    assert decided.status == "needs_review"  # because of the report's own open errors, not the warning
    assert {i.rule for i in decided.review} == {"app.flow", "app.row_sum", CHANGED_RULE}
    clean = apply_decisions(extract_file(seed("000")), [], changed_from=["0" * 64])
    assert clean.status == "accepted" and [i.rule for i in clean.review] == [CHANGED_RULE]


def test_a_failed_report_stays_failed(report: Report) -> None:
    failed = report.model_copy(update={"status": "failed"})
    decisions = [
        Decision(i.id, i.rule, "confirmed", {k: report.cells[k] for k in i.cells}, "", "bo", AT) for i in report.review
    ]
    assert apply_decisions(failed, decisions).status == "failed"


def test_a_value_for_a_blank_cell_points_at_its_table(tmp_path: Path) -> None:
    blank = variant(tmp_path, "000", "app.granted.natural")
    text = blank.read_text(encoding="utf-8")
    original = extract_file(blank)
    span = original.provenance["app.granted.legal"]
    blank.write_text(text[: span.start] + text[span.end :], encoding="utf-8")
    report = extract_file(blank)
    incomplete = item(report, "table.incomplete")
    assert "app.granted.legal" not in report.cells
    decided = apply_decisions(
        report, [Decision(incomplete.id, incomplete.rule, "value", {"app.granted.legal": 0}, "", "ann", AT)]
    )
    assert decided.cells["app.granted.legal"] == 0
    assert decided.provenance["app.granted.legal"].start == report.tables["app"].start
