"""Tests for the synthetic report generator in tests/synth.py.

The balance rules are written out here from the spec rather than imported
from extractor/, so the generator is checked against the contract, not
against the code it is meant to test.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import replace
from html.parser import HTMLParser

import pytest
import synth

SEEDS = range(200)
APPLICANTS = ("natural", "commercial", "research", "nonprofit", "legal", "other_org")
COLS = (*APPLICANTS, "total")
RESULTS_COMMON = (
    "granted",
    "partial",
    "denied_secret",
    "denied_law",
    "denied_safety",
    "denied_third_party",
    "denied_internal",
    "denied_process",
    "denied_enforcement",
    "denied_query",
    "unable_not_held",
    "unable_create",
    "unable_unclear",
    "rejected_complaint",
    "rejected_repeat",
    "rejected_publication",
    "rejected_excessive",
    "rejected_confirm",
)
RESULTS = {
    "2021": (*RESULTS_COMMON, "other_overdue_correction", "other_overdue_fee", "other_other"),
    "2019": (*RESULTS_COMMON, "other"),
}
RL = {
    g: ("upheld", "corrected", "other", "pending", "total")
    for g in ("reconsideration", "litigation_direct", "litigation_after")
}
NARRATIVE = {
    "applications_received": "app.new.total",
    "applications_closed": "app.total.total",
    "applications_pending": "app.carried_forward.total",
}


def violations(cells: dict[str, int | float], template: str, narrative: dict[str, int]) -> set[str]:
    """Rule ids that fail; a check with a missing cell is not run."""
    bad: set[str] = set()

    def check(rule: str, lhs: list[str], rhs: list[str]) -> None:
        present = all(k in cells for k in lhs + rhs)
        if present and sum(cells[k] for k in lhs) != sum(cells[k] for k in rhs):
            bad.add(rule)

    rows = ("new", "carried_over", *RESULTS[template], "total", "carried_forward")
    for c in COLS:
        check("app.flow", [f"app.new.{c}", f"app.carried_over.{c}"], [f"app.total.{c}", f"app.carried_forward.{c}"])
        check("app.results_sum", [f"app.total.{c}"], [f"app.{r}.{c}" for r in RESULTS[template]])
    for r in rows:
        check("app.row_sum", [f"app.{r}.total"], [f"app.{r}.{c}" for c in APPLICANTS])
    for g, cols in RL.items():
        check("rl.group_sum", [f"rl.{g}.total"], [f"rl.{g}.{c}" for c in cols[:-1]])
    for fact, key in NARRATIVE.items():
        if fact in narrative and key in cells and narrative[fact] != cells[key]:
            bad.add("narrative.mismatch")
    return bad


def report(seed: int, **kw: str | int) -> synth.SynthReport:
    return synth.random_report(random.Random(seed), **kw)  # type: ignore[arg-type]


def visible(r: synth.SynthReport) -> synth.SynthReport:
    return replace(r, blanks=frozenset(), tables_as_images=False)


@pytest.mark.parametrize("seed", range(300))
def test_random_report_is_balanced_and_well_typed(seed: int) -> None:
    r = report(seed)
    assert violations(r.cells, r.template_app, r.narrative) == set()
    app = {k for k in r.cells if k.startswith("app.")}
    rows = ("new", "carried_over", *RESULTS[r.template_app], "total", "carried_forward")
    assert app == {f"app.{row}.{c}" for row in rows for c in COLS}
    assert {k for k in r.cells if k.startswith("rl.")} == {f"rl.{g}.{c}" for g, cols in RL.items() for c in cols}
    assert ("a20.regulations.issued" in r.cells) == (r.template_a20 == "2021")
    for key, v in r.cells.items():
        col = key.rsplit(".", 1)[1]
        if col == "amount":
            assert isinstance(v, (int, float)) and v >= 0
        else:
            assert isinstance(v, int) and (v >= 0 or col == "change"), key
    assert 2019 <= r.year <= 2025
    assert r.year >= 2021 or r.template_app == "2019"


def test_report_options_are_honoured() -> None:
    for seed in range(50):
        r = report(seed, template_app="2021", template_a20="2019", year=2024)
        assert (r.template_app, r.template_a20, r.year) == ("2021", "2019", 2024)
        assert "app.other_other.total" in r.cells and "app.other.total" not in r.cells
        assert report(seed, template_app="2019").template_app == "2019"


def test_distribution_covers_the_interesting_cases() -> None:
    reps = [report(s) for s in range(400)]
    assert any(max(r.cells.values()) >= 1000 for r in reps)
    assert any(r.blanks for r in reps) and any(r.tables_as_images for r in reps)
    assert {r.template_app for r in reps} == {"2019", "2021"}
    assert any(r.cells.get("a20.fees.change", 0) < 0 for r in reps)
    assert any(0 < r.cells.get("a20.fees.amount", 0) != int(r.cells["a20.fees.amount"]) for r in reps)


def numbers_in(text: str) -> set[str]:
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    text = re.sub(r"(?<=\d)[,，](?=\d{3})", "", text)
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def forms(key: str, v: int | float) -> set[str]:
    if key.endswith(".amount"):
        s = repr(float(v))
        return {s.removesuffix(".0"), str(round(v * 10000))}
    return {str(abs(int(v)))}


@pytest.mark.parametrize("seed", SEEDS)
def test_render_every_layout_shows_every_gold_number(seed: int) -> None:
    r = report(seed)
    for layout in synth.LAYOUTS:
        for noise in (True, False):
            text = synth.render(r, layout, random.Random(seed * 7 + noise), noise=noise)
            assert str(r.year) in text and "\n" in text
            found = numbers_in(text)
            for key, v in synth.gold_cells(r).items():
                if v != 0:
                    assert forms(key, v) & found, (layout, key, v)
            for fact, n in r.narrative.items():
                assert str(n) in found, (layout, fact, n)


def test_render_is_deterministic_and_rejects_unknown_layouts() -> None:
    r = report(1)
    for layout in synth.LAYOUTS:
        assert synth.render(r, layout, random.Random(9)) == synth.render(r, layout, random.Random(9))
    with pytest.raises(ValueError):
        synth.render(r, "pdf", random.Random(0))


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.in_td = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self.rows[-1].append("")
            self.in_td = True

    def handle_endtag(self, tag: str) -> None:
        self.in_td = self.in_td and tag != "td"

    def handle_data(self, data: str) -> None:
        if self.in_td:
            self.rows[-1][-1] += data.strip()


def seven_number_rows(text: str, layout: str) -> list[list[int]]:
    """Table 三 rows are the only ones with exactly seven numbers."""
    if layout == "html":
        parser = _Cells()
        parser.feed(text)
        rows = parser.rows
    elif layout == "cell_per_line":
        runs = re.findall(r"(?:^\t?\d+\n)+", text + "\n", flags=re.M)
        rows = [run.split() for run in runs]
    else:
        sep = {"tab": "\t", "markdown": "|"}.get(layout)
        rows = [[f.strip() for f in line.split(sep)] for line in text.splitlines()]
    nums = [[int(f) for f in row if f.isdigit()] for row in rows]
    return [row for row in nums if len(row) == 7]


@pytest.mark.parametrize("layout", synth.LAYOUTS)
def test_clean_render_puts_each_value_in_its_row_and_column(layout: str) -> None:
    for seed in range(60):
        r = visible(report(seed))
        text = synth.render(r, layout, random.Random(seed), noise=False)
        rows = ("new", "carried_over", *RESULTS[r.template_app], "total", "carried_forward")
        expected = [[int(r.cells[f"app.{row}.{c}"]) for c in COLS] for row in rows]
        assert seven_number_rows(text, layout) == expected, (seed, layout)


def test_blank_cell_prints_as_an_empty_field() -> None:
    r = replace(visible(report(4)), blanks=frozenset({"app.granted.natural"}))
    assert "app.granted.natural" not in synth.gold_cells(r)
    text = synth.render(r, "tab", random.Random(0), noise=False)
    line = next(x for x in text.splitlines() if "予以公开" in x)
    fields = line.rstrip("\t").split("\t")
    assert fields[-7] == "" and fields[-6:] == [str(r.cells[f"app.granted.{c}"]) for c in COLS[1:]]


def test_tables_as_images_keep_headings_but_no_tables() -> None:
    r = replace(report(2), tables_as_images=True)
    assert synth.gold_cells(r) == {}
    for layout in synth.LAYOUTS:
        text = synth.render(r, layout, random.Random(3), noise=False)
        assert "收到和处理政府信息公开申请情况" in text
        assert "自然人" not in text and "<table" not in text


def test_perturb_breaks_the_rule_it_names() -> None:
    rules: set[str] = set()
    for seed in range(400):
        r = report(seed)
        p, key, rule = synth.perturb(r, random.Random(seed))
        rules.add(rule)
        gold = synth.gold_cells(p)
        bad = violations(gold, p.template_app, p.narrative)
        assert rule in bad, (seed, key, rule)
        allowed = {"app.row_sum", "app.flow", "app.results_sum"} if rule == "app.row_sum" else {rule}
        assert bad <= allowed, (seed, key, bad)
        changed = {k for k in r.cells if r.cells[k] != p.cells[k]} | {
            f"narrative.{k}" for k in r.narrative if r.narrative[k] != p.narrative[k]
        }
        assert changed == {key}
        assert not p.tables_as_images and p.blanks == r.blanks
    assert rules == {"app.row_sum", "rl.group_sum", "narrative.mismatch"}


def test_traditional_map_is_invertible() -> None:
    simp, trad = synth._TRAD_PAIRS[0::2], synth._TRAD_PAIRS[1::2]
    assert len(set(simp)) == len(simp) and len(set(trad)) == len(trad)
    assert not set(simp) & set(trad)


def test_render_is_fast() -> None:
    reps = [report(s) for s in range(100)]
    rng = random.Random(0)
    start = time.perf_counter()
    for i, r in enumerate(reps * 2):
        synth.render(r, synth.LAYOUTS[i % 5], rng)
    per_report = (time.perf_counter() - start) / 200
    assert per_report < 0.01  # ~1 ms here; loose so a slow CI box does not flake
