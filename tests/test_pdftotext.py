"""Real `pdftotext` output, not an imitation of it: each seed was written to Word, exported to PDF by
LibreOffice and turned back into text by poppler's `pdftotext -layout` and `pdftotext -raw`
(the files in tests/fixtures/pdftotext). Labels wrap into as many as seven fragments there, and
signs and units are printed apart from their numbers ("减 1043", "7249.4746 万元")."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHARED, gold_for

from extractor.pipeline import extract_file

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "pdftotext").glob("*.txt"))


@pytest.mark.skipif(not (SHARED / "gold").exists(), reason="../shared/gold is not beside the project")
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_pdftotext_output_reads_to_gold(path: Path) -> None:
    seed = SHARED / "seeds" / ("_".join(path.stem.split("_")[:2]) + ".txt")
    gold = gold_for(seed)
    report = extract_file(path)
    assert report.cells == gold["cells"]
    assert report.status == gold["expected_status"]
    assert report.meta.agency == gold["meta"]["agency"] and report.meta.year == gold["meta"]["year"]
