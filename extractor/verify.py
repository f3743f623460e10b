"""The verifier: every balance rule of the spec, applied to final values. Pure: no I/O, no model.

It never changes a value. A report's own arithmetic error becomes a failed check and a
review item with the rule's id; a check whose cells are missing is reported as not run
(`ok: None`), never as passed. `template.outdated` is a warning: it is listed, and queued
for information, but does not by itself keep a report from being accepted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .schema import Check, ReviewItem, Status
from .template import (
    APP_APPLICANT_COLUMNS,
    APP_COLUMNS,
    APP_RESULT_ROWS,
    APP_ROWS,
    RL_COLUMNS,
    RL_GROUPS,
    TABLES,
    TableId,
    TemplateVersion,
    value_kind,
)

Number = int | float
TABLE_NAMES: dict[str, str] = {
    "a20": "table 二 (proactive disclosure)",
    "app": "table 三 (applications)",
    "rl": "table 四 (reconsideration and litigation)",
}


@dataclass(frozen=True)
class TableStatus:
    state: str  # read | incomplete | missing
    template: TemplateVersion | None = None
    reason: str = ""


@dataclass(frozen=True)
class Verdict:
    checks: list[Check]
    review: list[ReviewItem]
    status: Status


def verify(
    cells: Mapping[str, Number],
    tables: Mapping[TableId, TableStatus],
    *,
    year: int | None = None,
    narrative: Mapping[str, Number] | None = None,
    comparisons: Mapping[str, Sequence[Sequence[str]]] | None = None,
    doc_id: str = "",
) -> Verdict:
    app_version = tables["app"].template if "app" in tables else None
    checks = [
        *_table_checks(tables),
        *_value_checks(cells),
        *_app_checks(cells, app_version or "2021"),
        *_rl_checks(cells),
        *_narrative_checks(cells, narrative or {}, comparisons or {}),
        _outdated_check(tables, year),
    ]
    review = [_review_item(check, cells, doc_id) for check in checks if check.ok is False]
    blocking = any(item.severity == "error" for item in review)
    return Verdict(checks, review, "needs_review" if blocking else "accepted")


def _table_checks(tables: Mapping[TableId, TableStatus]) -> list[Check]:
    checks = []
    for table in TABLES:
        status = tables.get(table, TableStatus("missing", reason="not looked for"))
        name = TABLE_NAMES[table]
        missing = status.state == "missing"
        checks.append(
            Check(
                rule="table.missing",
                scope=table,
                ok=not missing,
                detail=f"{name}: {status.reason}" if missing else f"{name} found",
            )
        )
        incomplete = None if missing else status.state != "incomplete"
        detail = f"{name}: {status.reason}" if status.state == "incomplete" else f"{name}: every cell read"
        checks.append(
            Check(
                rule="table.incomplete",
                scope=table,
                ok=incomplete,
                detail=detail if not missing else f"{name} not found",
            )
        )
    return checks


def _value_checks(cells: Mapping[str, Number]) -> list[Check]:
    checks = []
    for key, value in cells.items():
        kind = value_kind(key)
        if kind == "signed" and float(value).is_integer():
            continue
        if kind == "amount" and value >= 0:
            continue
        if kind == "count" and isinstance(value, int) and value >= 0:
            continue
        expected = {"count": "a whole number ≥ 0", "signed": "a whole number", "amount": "a number ≥ 0"}[kind]
        checks.append(
            Check(
                rule="cell.value",
                scope=key,
                ok=False,
                cells=[key],
                detail=f"{key} is printed as {value}; it must be {expected}",
            )
        )
    return checks


def _sum_check(rule: str, scope: str, cells: Mapping[str, Number], left: Sequence[str], right: Sequence[str]) -> Check:
    keys = [*left, *right]
    missing = [k for k in keys if k not in cells]
    if missing:
        return Check(
            rule=rule,
            scope=scope,
            ok=None,
            cells=keys,
            detail=f"not run: {len(missing)} of its cells were not read (e.g. {missing[0]})",
        )
    lhs = sum(cells[k] for k in left)
    rhs = sum(cells[k] for k in right)
    if lhs == rhs:
        # Thousands of checks pass in a batch; the itemised sum is only written where a reviewer needs it.
        return Check(rule=rule, scope=scope, ok=True, cells=keys, detail=f"holds: {lhs} = {rhs}")
    left_text = " + ".join(f"{_short(k, rule, left=True)}={cells[k]}" for k in left)
    right_text = " + ".join(f"{_short(k, rule)}={cells[k]}" for k in right)
    return Check(rule=rule, scope=scope, ok=False, cells=keys, detail=f"{left_text} ({lhs}) ≠ {right_text} ({rhs})")


def _short(key: str, rule: str, *, left: bool = False) -> str:
    """The part of a key that varies within one check: the column of a row sum, the row of a column sum."""
    parts = key.split(".")
    by_column = rule == "app.row_sum" or (rule == "rl.group_sum" and not left)
    return parts[2] if by_column else parts[1]


def _app_checks(cells: Mapping[str, Number], version: TemplateVersion) -> list[Check]:
    checks = []
    for col in APP_COLUMNS:
        checks.append(
            _sum_check(
                "app.flow",
                col,
                cells,
                [f"app.new.{col}", f"app.carried_over.{col}"],
                [f"app.total.{col}", f"app.carried_forward.{col}"],
            )
        )
    for col in APP_COLUMNS:
        checks.append(
            _sum_check(
                "app.results_sum",
                col,
                cells,
                [f"app.total.{col}"],
                [f"app.{row}.{col}" for row in APP_RESULT_ROWS[version]],
            )
        )
    for row in APP_ROWS[version]:
        checks.append(
            _sum_check(
                "app.row_sum",
                row.key,
                cells,
                [f"app.{row.key}.total"],
                [f"app.{row.key}.{col}" for col in APP_APPLICANT_COLUMNS],
            )
        )
    return checks


def _rl_checks(cells: Mapping[str, Number]) -> list[Check]:
    return [
        _sum_check(
            "rl.group_sum",
            group,
            cells,
            [f"rl.{group}.total"],
            [f"rl.{group}.{col}" for col in RL_COLUMNS if col != "total"],
        )
        for group in RL_GROUPS
    ]


def _narrative_checks(
    cells: Mapping[str, Number], narrative: Mapping[str, Number], comparisons: Mapping[str, Sequence[Sequence[str]]]
) -> list[Check]:
    checks = []
    for name, value in narrative.items():
        options = comparisons.get(name)
        if not options:
            continue
        usable = [keys for keys in options if all(k in cells for k in keys)]
        involved = sorted({k for keys in options for k in keys})
        if not usable:
            checks.append(
                Check(
                    rule="narrative.mismatch",
                    scope=name,
                    ok=None,
                    cells=involved,
                    detail=f"not run: the prose says {name} = {value} but the table cells were not read",
                )
            )
            continue
        sums = [sum(cells[k] for k in keys) for keys in usable]
        ok = value in sums
        shown = "; ".join(f"{' + '.join(keys)} = {total}" for keys, total in zip(usable, sums, strict=False))
        checks.append(
            Check(
                rule="narrative.mismatch",
                scope=name,
                ok=ok,
                cells=involved,
                detail=f"the prose says {name} = {value}; the table has {shown}",
            )
        )
    return checks


def _outdated_check(tables: Mapping[TableId, TableStatus], year: int | None) -> Check:
    old = [t for t in ("app", "a20") if t in tables and tables[t].template == "2019"]
    versions = [t for t in ("app", "a20") if t in tables and tables[t].template]
    if year is None or not versions:
        return Check(
            rule="template.outdated",
            scope="report",
            ok=None,
            severity="warning",
            detail="not run: the year or the tables' template is unknown",
        )
    outdated = year >= 2021 and bool(old)
    detail = (
        f"a report for {year} uses the 2019 layout in {', '.join(TABLE_NAMES[t] for t in old)}"
        if outdated
        else f"layout fits a report for {year}"
    )
    return Check(rule="template.outdated", scope="report", ok=not outdated, severity="warning", detail=detail)


def _review_item(check: Check, cells: Mapping[str, Number], doc_id: str) -> ReviewItem:
    digest = hashlib.sha256(f"{doc_id}|{check.rule}|{check.scope}".encode()).hexdigest()[:16]
    return ReviewItem(
        id=digest,
        rule=check.rule,
        cells=list(check.cells),
        reason=_reason(check),
        parser={k: cells[k] for k in check.cells if k in cells} or None,
        severity=check.severity,
    )


def _reason(check: Check) -> str:
    if check.rule in ("app.flow", "app.results_sum", "app.row_sum", "rl.group_sum"):
        return f"The report's own figures do not add up ({check.rule}, {check.scope}): {check.detail}."
    if check.rule == "narrative.mismatch":
        return f"The prose contradicts the table: {check.detail}."
    if check.rule == "table.missing":
        return f"No table to read: {check.detail}. Confirm the tables were not published as text."
    if check.rule == "table.incomplete":
        return f"Part of the table could not be read: {check.detail}."
    return check.detail[:1].upper() + check.detail[1:] + "."
