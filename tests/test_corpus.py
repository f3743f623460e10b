"""The adversarial corpus (tests/corpus): real seeds under realistic variation.

Each file's expected cells come from ../shared/gold with the changes its case names
(tests/corpus/cases.py builds them); status and the set of review rules are hand-written
per case. A failure here is a parser gap on a layout or wording real reports use.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.pipeline import extract_file

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
IDS = [c["file"].rsplit(".", 1)[0] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cells_exact(case: dict) -> None:  # type: ignore[type-arg]
    report = extract_file(CORPUS / case["file"])
    expected = case["cells"]
    wrong = {k: (report.cells.get(k), v) for k, v in expected.items() if report.cells.get(k) != v}
    extra = sorted(set(report.cells) - set(expected))
    assert not wrong and not extra, (
        f"{len(wrong)} wrong/missing (got, want): {dict(list(wrong.items())[:8])}; extra {extra[:5]}"
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_status_and_rules(case: dict) -> None:  # type: ignore[type-arg]
    report = extract_file(CORPUS / case["file"])
    rules = sorted({item.rule for item in report.review})
    assert (report.status, rules) == (case["status"], case["rules"])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_meta(case: dict) -> None:  # type: ignore[type-arg]
    report = extract_file(CORPUS / case["file"])
    assert report.meta.model_dump() == case["meta"]
