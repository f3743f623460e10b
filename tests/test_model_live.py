"""Opt-in live tier: one seed against a real endpoint. Skipped unless selected (-m live) and OPENAI_API_KEY is set.

    OPENAI_API_KEY=... OPENAI_BASE_URL=https://api.deepseek.com/v1 LIVE_MODEL=deepseek-chat \\
        pytest -m live tests/test_model_live.py

A real model may misread a cell; what must hold is the contract: a reading came back, nothing
ungrounded was used, and the verifier (not the model) decided the status.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from scripted import SEEDS, gold

from extractor.llm import settings_from
from extractor.modelpath import extract_with_model

pytestmark = [pytest.mark.live, pytest.mark.enable_socket]


def test_live_endpoint_reads_a_seed(tmp_path: Path) -> None:
    settings = settings_from(
        os.environ.get("LIVE_MODEL", "gpt-4o-mini"), cache_dir=tmp_path, use_cache=False, timeout_s=300.0
    )
    report = extract_with_model(SEEDS[0], settings)
    assert report.extraction is not None and report.extraction.error is None, report.extraction
    assert report.extraction.usage is not None and report.extraction.usage["input_tokens"] > 0
    expected = gold(SEEDS[0])["cells"]
    both = [k for k, span in report.provenance.items() if span.by == "both"]
    assert len(both) >= 0.9 * len(expected), f"the model agreed with the parser on only {len(both)} cells"
    model_only = [k for k, span in report.provenance.items() if span.by == "model"]
    assert all(report.cells[k] == expected.get(k) for k in model_only)
