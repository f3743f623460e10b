"""Pydantic models: the output contract (one `Report` per document) and the model's reading.

`Report` is what `extract` prints, what the review queue stores and what batch jobs write.
`ModelReading` is what a language model is asked to fill; its field descriptions are the
instructions the model sees, so they say what to copy from the report and how.
`schemas/report.schema.json` and `schemas/model_reading.schema.json` are generated from
these classes (`python -m extractor.schema`); a test fails when they drift.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .template import TableId, TemplateVersion

Status = Literal["accepted", "needs_review", "failed"]
Reader = Literal["parser", "model", "both", "reviewer"]
Number = int | float
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Source(_Strict):
    path: str = Field(description="The file as given on the command line.")
    sha256: str = Field(description="SHA-256 of the file's bytes; decisions in the review queue are keyed by it.")
    chars: int = Field(description="Length of the decoded text that offsets point into.")
    kind: str = Field(default="text", description="How the file was read: text, markdown, html, mhtml, pdf, docx.")
    encoding: str | None = Field(default=None, description="The character encoding the bytes were decoded with.")


class Meta(_Strict):
    agency: str | None = Field(description="Issuing body as printed in the title, in simplified characters.")
    year: int | None = Field(description="The year the report covers (not the year it was published).")
    template: TemplateVersion | None = Field(description="Template version of table 三 (2019 or 2021).")


def _absent(value: object) -> bool:
    # Hundreds of spans per report, most with no page, place or reviewer: written as nulls those
    # would be half of every output line. Reading them back gives None again.
    return value is None


class Span(_Strict):
    start: int = Field(description="Offset of the first character in the original text.")
    end: int = Field(description="Offset one past the last character.")
    by: Reader = Field(description="Who supplied the final value.")
    page: int | None = Field(
        default=None, exclude_if=_absent, description="1-based page of a PDF the span lies on, when known."
    )
    where: str | None = Field(
        default=None,
        exclude_if=_absent,
        description="Where the span sits in the published file, for a reviewer: 'page 3, characters 120–123 of the "
        "page's text' (PDF), 'table 2, row 5, column 3' or 'paragraph 14' (Word), 'characters 880–881 of the HTML "
        "source' (web page).",
    )
    reviewer: str | None = Field(
        default=None, exclude_if=_absent, description="Who resolved it, when by is 'reviewer'."
    )
    at: str | None = Field(
        default=None, exclude_if=_absent, description="When it was resolved (ISO 8601), when by is 'reviewer'."
    )


class Check(_Strict):
    rule: str = Field(description="Rule id from the spec, e.g. app.flow.")
    scope: str = Field(description="What the rule was applied to: a column, row, group, table or 'report'.")
    ok: bool | None = Field(description="True passed, False failed, None not run (its cells are missing).")
    detail: str = Field(description="The arithmetic or the reason, in words.")
    cells: list[str] = Field(default_factory=list, description="Keys of the cells the check reads.")
    severity: Literal["error", "warning"] = "error"


class Resolution(_Strict):
    """A reviewer's decision on a review item, as recorded in the review queue."""

    decision: Literal["value", "suggestion", "confirmed"] = Field(
        description="value: the reviewer typed the values; suggestion: the item's suggestion was accepted; "
        "confirmed: the values stand as printed (for table.missing: the tables were not published as text)."
    )
    values: dict[str, Number] = Field(default_factory=dict, description="Cell key to the value decided.")
    note: str = ""
    by: str = Field(description="Who decided.")
    at: str = Field(description="When (ISO 8601, UTC).")


class ReviewItem(_Strict):
    id: str = Field(description="Stable id: the same problem in the same document always gets the same id.")
    rule: str
    cells: list[str] = Field(default_factory=list)
    reason: str = Field(description="One sentence a reviewer understands.")
    parser: Any = Field(default=None, description="What the parser read (value or values), if relevant.")
    model: Any = Field(default=None, description="What the model read, if relevant.")
    suggestion: Any = Field(default=None, description="The candidate that makes every rule touching the cell pass.")
    spans: dict[str, list[int]] = Field(
        default_factory=dict, description="Reader name to [start, end] of what it read, for highlighting."
    )
    severity: Literal["error", "warning"] = "error"
    status: Literal["open", "resolved"] = Field(
        default="open", description="resolved: a reviewer's decision from the review queue was applied."
    )
    resolution: Resolution | None = None


class TableState(_Strict):
    state: Literal["read", "incomplete", "missing"]
    template: TemplateVersion | None = None
    reason: str = ""
    start: int | None = Field(default=None, description="Where the table's region starts in the text.")
    end: int | None = None


class Extraction(_Strict):
    """How the values were obtained: which readers ran, with what prompt and at what cost."""

    parser_version: str
    model: str | None = None
    mode: str | None = None
    prompt: dict[str, str] | None = Field(default=None, description="name, version and sha256 of the prompt.")
    usage: dict[str, int] | None = Field(default=None, description="Tokens in and out, requests, retries.")
    cached: bool | None = None
    error: str | None = None


class Report(_Strict):
    source: Source
    meta: Meta
    cells: dict[str, Number] = Field(description="Final values by canonical key; an absent key was not read.")
    narrative: dict[str, Number] = Field(description="Facts stated in the prose (open set of keys).")
    provenance: dict[str, Span] = Field(
        description="Where each value came from; narrative facts appear as 'narrative.<name>'."
    )
    checks: list[Check]
    review: list[ReviewItem]
    status: Status
    tables: dict[TableId, TableState] = Field(default_factory=dict)
    extraction: Extraction | None = None


# ---- what a language model fills -----------------------------------------------------


class ModelCell(_Strict):
    key: str = Field(
        description=(
            "Canonical cell key, e.g. app.new.natural, rl.reconsideration.total, a20.punishment.decisions. "
            "Only keys listed in the instructions."
        )
    )
    value: Number = Field(
        description=(
            "The number as a plain number. A cell printed 0, -, — or / is 0. 万元 amounts stay in 万元; an amount "
            "printed in 元 is divided by 10000. 减N is -N. Copy what is printed; never compute or correct it."
        )
    )
    row_label: str = Field(description="The row label exactly as printed in the report, copied character by character.")
    printed: str = Field(description="The number exactly as printed in the report, e.g. '1,234', '减1043', '—'.")


class ModelFact(_Strict):
    name: Literal[
        "applications_received",
        "applications_handled",
        "applications_closed",
        "applications_pending",
        "proactive_items",
        "fees_collected",
    ] = Field(description="Which fact the prose states.")
    value: Number = Field(description="The number the prose states; 0 where it says none (未收到, 未收取).")
    quote: str = Field(description="The sentence fragment that states it, copied exactly from the report.")


class ModelReading(_Strict):
    agency: str | None = Field(description="Issuing body as printed in the title.")
    year: int | None = Field(description="Year the report covers.")
    tables_published: bool = Field(description="False when the report's tables are absent or only published as images.")
    cells: list[ModelCell] = Field(
        default_factory=list, description="Every table cell you can read; leave out cells you cannot see."
    )
    facts: list[ModelFact] = Field(default_factory=list, description="Numbers stated in the prose.")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # instructor asks for the schema on every call (JSON modes) and the model cache hashes it:
        # about 3 ms each time. A fresh copy each time, since callers may edit what they get.
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        schema: dict[str, Any] = json.loads(_reading_schema(cls))
        return schema


@lru_cache(maxsize=8)  # ModelReading and the subclass instructor wraps it in (llm builds that once)
def _reading_schema(cls: type[ModelReading]) -> str:
    return json.dumps(super(ModelReading, cls).model_json_schema())


SCHEMAS: dict[str, type[BaseModel]] = {"report": Report, "model_reading": ModelReading}


def schema_json(name: str) -> str:
    return json.dumps(SCHEMAS[name].model_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SCHEMAS:
        path = directory / f"{name}.schema.json"
        path.write_text(schema_json(name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_schemas():
        sys.stdout.write(f"wrote {written_path}\n")
