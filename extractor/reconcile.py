"""Merge the parser's reading and the model's grounded reading into final values.

Per cell: both read the same value → `by: both`; only one read it → that reader's value
(the verifier then decides whether the report balances); they differ → an `extract.disagree`
review item with both values and spans, and, where exactly one of the two makes every rule
touching the cell pass, that one is the suggestion and the provisional value. A model value
whose quote could not be found is `extract.ungrounded` and never used. A value the model
alone supplies in a table the parser did read must sit at its column position, so a row
with a blank cell cannot be "completed" from a neighbouring number. The model never
decides alone that a report is consistent: `pipeline.assemble` runs the verifier afterwards.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .grounding import Evidence, GroundedReading, Refused
from .narrative import COMPARISONS, Fact
from .parse import CellRead, TableRead
from .pipeline import PROVENANCE, ParserResult, span_data
from .schema import Reader, ReviewItem, Span
from .template import TABLES, TableId, TemplateVersion, key_version, table_keys, table_of
from .verify import TableStatus, verify

Number = int | float


@dataclass
class Merged:
    result: ParserResult  # the parser's result with merged facts and table states
    cells: dict[str, Number] = field(default_factory=dict)
    provenance: dict[str, Span] = field(default_factory=dict)
    # The spans while merging, as plain dicts: validated in one call at the end (a pydantic
    # object per cell costs more than the rest of the merge).
    spans: dict[str, dict[str, Any]] = field(default_factory=dict)
    review: list[ReviewItem] = field(default_factory=list)
    fact_by: dict[str, Reader] = field(default_factory=dict)


def merge(result: ParserResult, grounded: GroundedReading) -> Merged:
    merged = Merged(result)
    doc_id = result.document.sha256
    parsed = result.reading.cells
    disputed: list[tuple[CellRead, Evidence]] = []
    for key in sorted(set(parsed) | set(grounded.cells)):
        p, m = parsed.get(key), grounded.cells.get(key)
        if m is not None and p is None and _needs_position(result, key) and not m.exact:
            grounded.refused[key] = Refused(
                key,
                m.value,
                f"{m.value} is printed in the row but not in the cell's column, and the parser read nothing there",
                "",
            )
            m = None
        if p is not None and (m is None or m.value == p.value):
            _take(merged, key, p.value, p.start, p.end, "both" if m is not None else "parser", p.page)
        elif m is not None and p is None:
            _take(merged, key, m.value, m.start, m.end, "model")
        elif p is not None and m is not None:
            _take(merged, key, p.value, p.start, p.end, "parser", p.page)
            disputed.append((p, m))
    for p, m in disputed:
        merged.review.append(_disagreement(merged, p, m, doc_id))
    merged.result = _with_tables(merged, grounded)
    merged.result = _with_facts(merged, grounded, doc_id)
    for key, refused in sorted(grounded.refused.items()):
        if key.startswith("narrative."):
            continue
        parser_value = parsed[key].value if key in parsed else None
        if parser_value != refused.value:
            merged.review.append(_ungrounded(refused, parser_value, doc_id))
    merged.provenance = PROVENANCE.validate_python(merged.spans)
    return merged


def _needs_position(result: ParserResult, key: str) -> bool:
    return result.reading.tables[table_of(key)].state != "missing"


def _take(merged: Merged, key: str, value: Number, start: int, end: int, by: Reader, page: int | None = None) -> None:
    merged.cells[key] = value
    merged.spans[key] = span_data(merged.result.document, start, end, by, page)


def _disagreement(merged: Merged, p: CellRead, m: Evidence, doc_id: str) -> ReviewItem:
    key = m.key
    passing = [value for value in (p.value, m.value) if _every_rule_passes(merged, key, value)]
    suggestion = passing[0] if len(passing) == 1 else None
    if suggestion is not None and suggestion == m.value:
        _take(merged, key, m.value, m.start, m.end, "model")
    hint = f"; only {suggestion} makes every rule on this cell pass" if suggestion is not None else ""
    return ReviewItem(
        id=item_id(doc_id, "extract.disagree", key),
        rule="extract.disagree",
        cells=[key],
        reason=f"The parser read {p.value} and the model read {m.value} for {key}{hint}.",
        parser=p.value,
        model=m.value,
        suggestion=suggestion,
        spans={"parser": [p.start, p.end], "model": [m.start, m.end]},
    )


def _every_rule_passes(merged: Merged, key: str, value: Number) -> bool:
    trial = {**merged.cells, key: value}
    statuses = _statuses(merged.result)
    checks = [c for c in verify(trial, statuses, year=merged.result.meta.year).checks if key in c.cells]
    # A cell no rule touches (most of table 二) gives no reason to prefer either reading.
    return bool(checks) and all(c.ok is True for c in checks)


def _statuses(result: ParserResult) -> dict[TableId, TableStatus]:
    return {t: TableStatus(r.state, r.template, r.reason) for t, r in result.reading.tables.items()}


def _with_tables(merged: Merged, grounded: GroundedReading) -> ParserResult:
    """A table the parser missed or left incomplete is as complete as the final cells make it."""
    tables = dict(merged.result.reading.tables)
    for table in TABLES:
        from_model = [
            e
            for k, e in grounded.cells.items()
            if table_of(k) == table and k in merged.spans and merged.spans[k]["by"] == "model"
        ]
        if not from_model or tables[table].state == "read":
            continue
        before = tables[table]
        version = _version(table, [e.key for e in from_model], before.template)
        expected = table_keys(table, version)
        have = sum(1 for k in expected if k in merged.cells)
        state = "read" if have == len(expected) else "incomplete"
        reason = f"the model read {len(from_model)} cells the parser could not; {have} of {len(expected)} present"
        tables[table] = TableRead(
            state,
            version,
            reason,
            before.start if before.start is not None else min(e.start for e in from_model),
            before.end if before.end is not None else max(e.end for e in from_model),
        )
    reading = dataclasses.replace(merged.result.reading, tables=tables)
    return dataclasses.replace(merged.result, reading=reading)


def _version(table: TableId, keys: list[str], known: TemplateVersion | None) -> TemplateVersion:
    implied = {v for v in (key_version(k) for k in keys) if v is not None}
    if len(implied) == 1:
        return implied.pop()
    return known or "2021"


def _with_facts(merged: Merged, grounded: GroundedReading, doc_id: str) -> ParserResult:
    facts = dict(merged.result.facts)
    for name, evidence in grounded.facts.items():
        mine = facts.get(name)
        if mine is None:
            facts[name] = Fact(name, evidence.value, evidence.start, evidence.end)
            merged.fact_by[name] = "model"
        elif mine.value == evidence.value:
            merged.fact_by[name] = "both"
        else:
            merged.review.append(
                ReviewItem(
                    id=item_id(doc_id, "extract.disagree", f"narrative.{name}"),
                    rule="extract.disagree",
                    cells=[f"narrative.{name}", *_compared(name)],
                    reason=f"The prose fact {name}: the parser read {mine.value}, the model read {evidence.value}.",
                    parser=mine.value,
                    model=evidence.value,
                    spans={"parser": [mine.start, mine.end], "model": [evidence.start, evidence.end]},
                )
            )
    for key, refused in grounded.refused.items():
        name = key.removeprefix("narrative.")
        if key.startswith("narrative.") and (name not in facts or facts[name].value != refused.value):
            merged.review.append(_ungrounded(refused, facts[name].value if name in facts else None, doc_id))
    return dataclasses.replace(merged.result, facts=facts)


def _compared(name: str) -> list[str]:
    return sorted({k for keys in COMPARISONS.get(name, ()) for k in keys})


def _ungrounded(refused: Refused, parser_value: Number | None, doc_id: str) -> ReviewItem:
    return ReviewItem(
        id=item_id(doc_id, "extract.ungrounded", refused.key),
        rule="extract.ungrounded",
        cells=[refused.key],
        reason=f"The model's {refused.value} for {refused.key} is not used: {refused.reason}.",
        parser=parser_value,
        model={"value": refused.value, "quote": refused.quote},
    )


def item_id(doc_id: str, rule: str, scope: str) -> str:
    """Same recipe as the verifier's ids, so one problem in one document always has one id."""
    return hashlib.sha256(f"{doc_id}|{rule}|{scope}".encode()).hexdigest()[:16]


def fix_fact_provenance(provenance: Mapping[str, Span], fact_by: Mapping[str, Reader]) -> None:
    """`assemble` marks every narrative fact as the parser's; say which reader really supplied it."""
    for name, by in fact_by.items():
        span = provenance.get(f"narrative.{name}")
        if span is not None:
            span.by = by
