"""Every seed report reads to exactly its gold cells, narrative facts, meta and status."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEEDS, gold_for

from extractor.pipeline import extract_file

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared/seeds is not beside the project")


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_matches_gold(seed: Path) -> None:
    gold = gold_for(seed)
    report = extract_file(seed)
    assert report.cells == gold["cells"]
    assert report.status == gold["expected_status"]
    assert report.narrative == gold["narrative"]
    assert report.meta.model_dump() == gold["meta"] | ({"template": None} if not gold["cells"] else {})
    missing = sorted(c.scope for c in report.checks if c.rule == "table.missing" and c.ok is False)
    assert missing == sorted(gold.get("missing_tables", []))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_offsets_point_at_the_printed_number(seed: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    report = extract_file(seed)
    for key, span in report.provenance.items():
        printed = text[span.start : span.end]
        assert printed.strip() == printed and printed, key
        if key.startswith("narrative."):
            continue
        assert any(ch.isdigit() for ch in printed) or printed in "-—/", (key, printed)
