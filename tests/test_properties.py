"""Property tests: generated balanced reports, rendered in every layout with noise, read back exactly;
one printed number changed is flagged by the right rule. The generator (tests/synth.py) is not the
evaluation set: it only widens what the seeds cover."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from synth import LAYOUTS, gold_cells, perturb, random_report, render, suffix

from extractor.ingest import from_bytes
from extractor.pipeline import parser_report, read_document
from extractor.schema import Report


def read(text: str, layout: str) -> Report:
    return parser_report(read_document(from_bytes(text.encode("utf-8"), "r" + suffix(layout))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), layout=st.sampled_from(LAYOUTS), noise=st.booleans())
# Tab text whose row labels take one to three cells, and a row with a blank total: its numbers were
# read one column to the right (found by this test in a CI run).
@example(seed=3142665, layout="tab", noise=False)
# Space-aligned table 二 with a blank cell, numbers flush right under centred headers: they were
# placed by the headers, one column to the right (found by a sweep of 20,000 generated reports).
@example(seed=3457110362, layout="space", noise=True)
def test_balanced_reports_read_back_exactly(seed: int, layout: str, noise: bool) -> None:
    rng = random.Random(seed)
    synthetic = random_report(rng)
    report = read(render(synthetic, layout, rng, noise=noise), layout)
    expected = gold_cells(synthetic)
    wrong = {k: (v, expected.get(k)) for k, v in report.cells.items() if expected.get(k) != v}
    assert not wrong, wrong  # never a value that was not printed there
    if not synthetic.blanks:
        assert report.cells == expected
    assert report.meta.year == synthetic.year
    if synthetic.tables_as_images:
        assert report.status == "needs_review"
        assert any(c.rule == "table.missing" and c.ok is False for c in report.checks)
    elif synthetic.blanks:
        assert report.status == "needs_review"
        assert any(c.rule == "table.incomplete" and c.ok is False for c in report.checks)
    else:
        assert report.status == "accepted", [i.reason for i in report.review]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), layout=st.sampled_from(LAYOUTS))
def test_one_changed_number_is_flagged_by_its_rule(seed: int, layout: str) -> None:
    rng = random.Random(seed)
    changed, key, rule = perturb(random_report(rng), rng)
    report = read(render(changed, layout, rng), layout)
    failed = {(c.rule, c.scope) for c in report.checks if c.ok is False}
    not_run = {c.rule for c in report.checks if c.ok is None}
    assert report.status == "needs_review"
    if changed.blanks and rule in not_run and rule not in {r for r, _ in failed}:
        # A blank cell the check needed: the check is reported as not run, and the table as incomplete.
        assert ("table.incomplete", "app") in failed or ("table.incomplete", "rl") in failed
        return
    assert rule in {r for r, _ in failed}, (key, rule, failed)
    if not key.startswith("narrative."):
        assert report.cells[key] == changed.cells[key]  # flagged, never corrected
    assert any(item.rule == rule for item in report.review)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_agency_is_read_in_simplified_characters(layout: str) -> None:
    for seed in range(20):
        rng = random.Random(seed)
        synthetic = random_report(rng)
        report = read(render(synthetic, layout, rng), layout)
        assert report.meta.agency == synthetic.agency, (seed, report.meta.agency)
