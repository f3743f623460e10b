"""What the model is sent: the report's title, table sections and the prose sentences with numbers.

Boilerplate (policy prose, navigation, share buttons) costs tokens and adds nothing the
model may copy, so it is dropped. The excerpt is never used for offsets: grounding finds
the model's quotes in the original text. The key guide lists the canonical keys compactly
(row keys × column keys) instead of all ~200 keys one by one.
"""

from __future__ import annotations

import html
import re

from .ingest import Document
from .normalize import norm
from .template import (
    A20_COLUMN_LABELS,
    A20_ITEM_LABELS,
    A20_ITEMS,
    APP_COLUMN_LABELS,
    APP_ROWS,
    RL_COLUMN_LABELS,
    RL_GROUP_LABELS,
)

TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
_BLANKS = re.compile(r"[ \t\u3000\u00a0]+")
_SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
_FACTUAL = re.compile(r"[0-9０-９]|未收到|没有收到|未收取|未發生|未发生|未收")
_TABLES_START = ("主动公开政府信息情况", "收到和处理政府信息公开申请情况")
_TABLES_END = ("存在的主要问题及改进情况", "存在的主要问题")
_TITLE_LINES = 3


def visible_text(document: Document) -> str:
    """The text a reader sees: HTML tags removed (cells become lines), entities decoded."""
    if document.kind != "html":
        return document.text
    return html.unescape(TAG.sub("\n", document.text))


def excerpt(document: Document) -> str:
    lines = [_BLANKS.sub(" ", line).strip() for line in visible_text(document).splitlines()]
    lines = [line for line in lines if line]
    keys = [norm(line) for line in lines]
    start = next((i for i, k in enumerate(keys) if any(t in k for t in _TABLES_START)), None)
    end = next(
        (i for i, k in enumerate(keys) if start is not None and i > start and any(t in k for t in _TABLES_END)),
        len(lines),
    )
    if start is None:  # no recognisable table section: keep every line that states a number
        return "\n".join(lines[:_TITLE_LINES] + _numbered(lines[_TITLE_LINES:]))
    head = lines[:_TITLE_LINES] if start >= _TITLE_LINES else lines[:start]
    prose = _numbered(lines[len(head) : start]) + _numbered(lines[end:])
    return "\n".join([*head, *prose, *lines[start:end]])


def _numbered(lines: list[str]) -> list[str]:
    return [s.strip() for line in lines for s in _SENTENCE.findall(line) if _FACTUAL.search(s)]


def key_guide() -> str:
    """The keys the model may use, as `prefix.<row>.<column>` with the printed labels."""
    out = ["Table 三 keys are app.<row>.<column>.", "  rows:"]
    rows = {row.key: row for version in ("2021", "2019") for row in APP_ROWS[version]}
    out += [
        f"    {key}: {row.labels[0]}" + (" (2019 template only)" if key == "other" else "") for key, row in rows.items()
    ]
    out.append("  columns: " + ", ".join(f"{c} {labels[0]}" for c, labels in APP_COLUMN_LABELS.items()))
    out.append("Table 四 keys are rl.<group>.<column>.")
    out.append("  groups: " + ", ".join(f"{g} {labels[0]}" for g, labels in RL_GROUP_LABELS.items()))
    out.append("  columns: " + ", ".join(f"{c} {labels[0]}" for c, labels in RL_COLUMN_LABELS.items()))
    out.append("Table 二 keys are a20.<item>.<column>; the columns depend on the template version printed:")
    for version in ("2021", "2019"):
        items = "; ".join(
            f"{item} {A20_ITEM_LABELS[item][0]}: {', '.join(cols)}" for item, cols in A20_ITEMS[version].items()
        )
        out.append(f"  {version}: {items}")
    out.append("  columns: " + ", ".join(f"{c} {labels[0]}" for c, labels in A20_COLUMN_LABELS.items()))
    return "\n".join(out)
