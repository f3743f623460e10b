"""Reviewers' decisions applied to a fresh extraction. Pure: no I/O, no database.

A decision is keyed by document hash and item id (which encodes rule and scope); value
decisions are keyed by cell. `apply_decisions` sets exactly the cells the decisions name,
re-runs the verifier on the final values, marks the decided items resolved and recomputes
the status. A decision confirmed "as printed" keeps the printed values and the failed check
on record; it only stops the item from blocking acceptance.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .narrative import COMPARISONS
from .schema import Number, Report, Resolution, ReviewItem, Span
from .template import TABLES, table_of
from .verify import TableStatus, verify

CHANGED_RULE = "review.document_changed"


@dataclass(frozen=True)
class Decision:
    """One resolved queue item, as `apply_decisions` needs it."""

    item_id: str
    rule: str
    decision: str  # value | suggestion | confirmed
    values: Mapping[str, Number] = field(default_factory=dict)
    note: str = ""
    by: str = ""
    at: str = ""

    def resolution(self) -> Resolution:
        return Resolution(
            decision=self.decision,  # type: ignore[arg-type]
            values=dict(self.values),
            note=self.note,
            by=self.by,
            at=self.at,
        )


def apply_decisions(report: Report, decisions: Sequence[Decision], *, changed_from: Sequence[str] = ()) -> Report:
    """The report with `decisions` applied; `changed_from` lists earlier hashes of the same file."""
    if not decisions and not changed_from:
        return report
    ordered = sorted(decisions, key=lambda d: d.at)  # on a cell decided twice, the later decision wins
    latest = {d.item_id: d for d in ordered}
    cells = dict(report.cells)
    provenance = dict(report.provenance)
    for decision in ordered:
        if decision.decision != "confirmed":
            for key, value in decision.values.items():
                cells[key] = value
                provenance[key] = _reviewer_span(report, provenance.get(key), key, decision)
    statuses = {t: TableStatus(s.state, s.template, s.reason) for t, s in report.tables.items()}
    verdict = verify(
        cells,
        statuses,
        year=report.meta.year,
        narrative=report.narrative,
        comparisons=COMPARISONS,
        doc_id=report.source.sha256,
    )
    items = _current_items(report, verdict.review, latest)
    items += [_changed_item(report.source.sha256, old) for old in changed_from]
    review = [_mark(item, latest, cells, provenance, report) for item in items]
    blocking = any(i.status == "open" and i.severity == "error" for i in review)
    status = "failed" if report.status == "failed" else ("needs_review" if blocking else "accepted")
    return report.model_copy(
        update={"cells": cells, "provenance": provenance, "checks": verdict.checks, "review": review, "status": status}
    )


def _current_items(report: Report, raised: list[ReviewItem], latest: Mapping[str, Decision]) -> list[ReviewItem]:
    """What the verifier raises now, plus other readers' items, plus decided items the decision fixed."""
    verifier_rules = {check.rule for check in report.checks}
    original = {item.id: item for item in report.review}
    # keep what other readers added to a verifier item (suggestion, model value, spans)
    items = [original.get(item.id, item) for item in raised]
    items += [item for item in report.review if item.rule not in verifier_rules and item.rule != CHANGED_RULE]
    items += [item for item in report.review if item.id in latest]
    unique: dict[str, ReviewItem] = {}
    for item in items:
        unique.setdefault(item.id, item)
    return list(unique.values())


def _mark(
    item: ReviewItem,
    latest: Mapping[str, Decision],
    cells: dict[str, Number],
    provenance: dict[str, Span],
    report: Report,
) -> ReviewItem:
    decision = latest.get(item.id) or _cell_decision(item, latest)
    if decision is None:
        return item
    if decision.decision == "confirmed":
        changed = [k for k, v in decision.values.items() if cells.get(k) != v]
        if changed:
            reason = (
                f"A reviewer confirmed other values for {', '.join(changed)} than this extraction reads; "
                f"check again. {item.reason}"
            )
            return item.model_copy(update={"reason": reason})
        for key in decision.values:
            provenance[key] = _reviewer_span(report, provenance.get(key), key, decision)
    return item.model_copy(update={"status": "resolved", "resolution": decision.resolution()})


def _cell_decision(item: ReviewItem, latest: Mapping[str, Decision]) -> Decision | None:
    """A value decided for a cell also settles another reader's doubt about that one cell."""
    if len(item.cells) != 1 or item.rule.split(".", 1)[0] != "extract":
        return None
    key = item.cells[0]
    deciding = [d for d in latest.values() if d.decision != "confirmed" and key in d.values]
    return deciding[-1] if deciding else None


def _reviewer_span(report: Report, old: Span | None, key: str, decision: Decision) -> Span:
    if old is not None:
        start, end, page = old.start, old.end, old.page
    else:  # a cell printed blank: point at its table
        table = report.tables.get(table_of(key)) if key.split(".", 1)[0] in TABLES else None
        start = end = (table.start or 0) if table else 0
        page = None
    return Span(start=start, end=end, by="reviewer", page=page, reviewer=decision.by, at=decision.at)


def _changed_item(sha256: str, old_sha256: str) -> ReviewItem:
    digest = hashlib.sha256(f"{sha256}|{CHANGED_RULE}|{old_sha256}".encode()).hexdigest()[:16]
    return ReviewItem(
        id=digest,
        rule=CHANGED_RULE,
        severity="warning",
        reason=(
            f"This file changed since a reviewer decided items on an earlier version (sha256 {old_sha256[:12]}…); "
            "those decisions were not applied. Review this version's items afresh."
        ),
        parser={"previous_sha256": old_sha256},
    )
