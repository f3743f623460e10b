"""Helpers for the review-queue tests: seed variants with one printed number changed, fake copies."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from extractor.pipeline import extract_file
from extractor.schema import Report

SEEDS = Path(os.environ.get("EXTRACTOR_SEEDS", "/work/shared/seeds"))


def seed(prefix: str) -> Path:
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not found:
        pytest.skip(f"seed {prefix} not found in {SEEDS} (set EXTRACTOR_SEEDS to the seeds directory)")
    return found[0]


def variant(tmp_path: Path, prefix: str, key: str, delta: int = 1, name: str | None = None) -> Path:
    """A copy of seed `prefix` whose printed `key` is `delta` larger: the report's own error."""
    source = seed(prefix)
    report = extract_file(source)
    span = report.provenance[key]
    text = source.read_text(encoding="utf-8")
    printed = text[span.start : span.end]
    assert printed.strip().isdigit(), f"{key} is printed as {printed!r}"
    changed = text[: span.start] + str(int(printed) + delta) + text[span.end :]
    path = tmp_path / (name or f"{prefix}_{key}.txt")
    path.write_text(changed, encoding="utf-8")
    return path


def fake_copy(report: Report, n: int) -> Report:
    """The same report as if from another document: new sha256, so new item ids."""
    sha = hashlib.sha256(f"{report.source.sha256}|{n}".encode()).hexdigest()
    source = report.source.model_copy(update={"sha256": sha, "path": f"copy-{n}.txt"})
    review = [
        item.model_copy(update={"id": hashlib.sha256(f"{sha}|{item.id}".encode()).hexdigest()[:16]})
        for item in report.review
    ]
    return report.model_copy(update={"source": source, "review": review})
