"""Scripted model replies for the seeds, built from the gold files, never typed by hand.

A scripted reply is what a faithful model would return: every gold cell as a `ModelCell`
whose row label and printed number are copied from the seed text (the number at the
offsets where the parser found that gold value; the row label is the text printed just
before the row's numbers), and every gold narrative fact with the sentence that states it.
Tests derive the faulty replies (off by one, hallucinated, obeying an injection) from these.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from extractor.ingest import load
from extractor.normalize import read_number
from extractor.pipeline import read_document
from extractor.schema import ModelCell, ModelFact, ModelReading
from extractor.template import value_kind

# The seeds and gold live outside the repository; GOV_EXTRACTOR_SHARED points elsewhere if they move.
SHARED = Path(os.environ.get("GOV_EXTRACTOR_SHARED", "/work/shared"))
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))
_TRAILING_NUMBER = re.compile(r"(?:[-—–/]|减?[\d,，.]+|[0-9０-９,，.]+)\s*$")
_SENTENCE_END = "。；;\n"


def gold(seed: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHARED / "gold" / f"{seed.stem}.json").read_text(encoding="utf-8"))
    return data


def row_first_key(key: str) -> str:
    table, row, _ = key.split(".")
    if table == "app":
        return f"app.{row}.natural"
    if table == "rl":
        return "rl.reconsideration.upheld"
    return key  # a20 rows are short; the label sits right before the first of them anyway


def label_before(text: str, offset: int) -> str:
    """The text printed just before the numbers that end at `offset`: the row's label as printed."""
    before = text[:offset].rstrip()
    while (match := _TRAILING_NUMBER.search(before)) and match.start() < len(before):
        stripped = before[: match.start()].rstrip()
        if stripped == before:
            break
        before = stripped
    last_line = before.splitlines()[-1] if before else ""
    return re.split(r"\t| {2,}|\|", last_line.strip())[-1].strip()


def sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(ch, 0, start) for ch in _SENTENCE_END) + 1
    rights = [i for i in (text.find(ch, end) for ch in _SENTENCE_END) if i >= 0]
    return text[left : min(rights) if rights else len(text)].strip()


def faithful_reading(seed: Path) -> ModelReading:
    expected = gold(seed)
    result = read_document(load(seed))
    text = result.document.text
    cells = []
    for key, value in expected["cells"].items():
        read = result.reading.cells[key]
        printed = text[read.start : read.end]
        assert read_number(printed, value_kind(key)) == value, (seed.name, key, printed, value)
        first = result.reading.cells.get(row_first_key(key), read)
        label = label_before(text, first.start) if first is not read or key.startswith("a20.") else ""
        label = label or label_before(text, read.start)
        cells.append(ModelCell(key=key, value=value, row_label=label, printed=printed))
    facts = [
        ModelFact(name=name, value=value, quote=sentence_around(text, result.facts[name].start, result.facts[name].end))
        for name, value in expected["narrative"].items()
    ]
    meta = expected["meta"]
    return ModelReading(
        agency=meta["agency"], year=meta["year"], tables_published=bool(expected["cells"]), cells=cells, facts=facts
    )
