"""Accuracy sweep over generated reports: `python benchmarks/sweep_generated.py [N] [SEED] [LAYOUT]`.

The property tests draw 60 random examples a run, so a rare parser case can first fail in CI
(one did). This reads N generated reports (tests/synth.py; every layout, with and without
noise) and counts, by layout:

- wrong: reports with a cell whose value is not the one printed there (the one outcome that must
  never happen: a wrong number that looks trustworthy), each printed with its seed to replay;
- unread: cells printed but left unread (they go to review as table.incomplete, which is safe);
- flagged: with one printed number changed (`synth.perturb`), reports whose changed number is
  flagged by its rule id.

It prints one JSON object; exit status 1 when any report has a wrong value or a changed number
goes unflagged, so it can gate a release. 20,000 reports take about four minutes on one core.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from synth import LAYOUTS, SynthReport, gold_cells, perturb, random_report, render
from test_properties import read

from extractor.schema import Report

TALLIES = ("reports", "wrong", "unread", "flagged", "missed", "not_run")


def wrong_cells(synthetic: SynthReport, report: Report) -> dict[str, object]:
    expected = gold_cells(synthetic)
    return {k: [v, expected.get(k)] for k, v in report.cells.items() if expected.get(k) != v}


def flagged(synthetic: SynthReport, layout: str, rng: random.Random) -> bool | None:
    """Whether one changed number is flagged by its rule; None when the check could not run (a
    blank cell it needed, which the report flags as table.incomplete instead)."""
    changed, _, rule = perturb(synthetic, rng)
    report = read(render(changed, layout, rng), layout)
    if any(c.rule == rule and c.ok is False for c in report.checks):
        return True
    return None if any(c.rule == rule and c.ok is None for c in report.checks) else False


def sweep(n: int, seed: int, only: str | None) -> dict[str, object]:
    counts: dict[str, Counter[str]] = {}
    failures: list[dict[str, object]] = []
    for i in range(n):
        layout = only or LAYOUTS[i % len(LAYOUTS)]
        noise = bool(i // len(LAYOUTS) % 2)
        case = {"seed": seed + 1_000_003 * i, "layout": layout, "noise": noise}
        rng = random.Random(case["seed"])
        synthetic = random_report(rng)
        report = read(render(synthetic, layout, rng, noise=noise), layout)
        tally = counts.setdefault(layout, Counter(dict.fromkeys(TALLIES, 0)))
        tally["reports"] += 1
        tally["unread"] += len(set(gold_cells(synthetic)) - set(report.cells))
        wrong = wrong_cells(synthetic, report)
        if wrong:
            tally["wrong"] += 1
            failures.append({**case, "wrong": wrong})
        outcome = flagged(synthetic, layout, rng)
        tally["flagged" if outcome else "not_run" if outcome is None else "missed"] += 1
        if outcome is False:
            failures.append({**case, "missed": True})
    return {"n": n, "seed": seed, "by_layout": {k: dict(v) for k, v in counts.items()}, "failures": failures}


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 2000
    seed = int(argv[1]) if len(argv) > 1 else 17
    result = sweep(n, seed, argv[2] if len(argv) > 2 else None)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
