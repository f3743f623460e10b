"""Numbers the prose states (全年共收到申请N件 and the like), with their offsets.

Patterns are deliberately narrow: a report's prose is full of numbers (hotline calls,
website posts, training sessions) and a wrong fact would raise a false `narrative.mismatch`.
Each fact names the table cells it can be compared with; `verify` does the comparing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .layout import Line
from .normalize import halfwidth, read_number, simplified

_N = r"(?P<n>\d[\d,，]*|[零〇一二两三四五六七八九十百千]{1,8})"
# A gap between the verb and the number must not name another kind of request (咨询, 建议提案 …):
# those are counted elsewhere and would raise a false narrative.mismatch.
_OTHER_REQUESTS = r"(?!咨询|建议|提案|留言|来电|来信|投诉|信访|举报|热线)"


def _gap(limit: int, *, digits: bool = False) -> str:
    allowed = r"[^。；，,]" if digits else r"[^。；，,\d]"
    return rf"(?:{_OTHER_REQUESTS}{allowed}){{0,{limit}}}?"


_APPLY = r"(?:政府信息公开|信息公开|依申请公开|公开)(?:申请)?"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "applications_received",
        re.compile(rf"(?:收到|接收|受理|新收)(?:了)?{_gap(12)}{_APPLY}{_gap(6)}\s*{_N}\s*(?:件|个|份)"),
    ),
    ("applications_received", re.compile(rf"(?:收到|接收|受理|新收)(?:了)?申请(?:共|总计)?\s*{_N}\s*(?:件|个|份)")),
    ("applications_received", re.compile(rf"(?:未|没有)(?:收到|接收|受理){_gap(10)}{_APPLY}(?P<zero>)")),
    (
        "applications_handled",
        re.compile(rf"(?:办理|处理)(?:了)?{_gap(10)}{_APPLY}{_gap(4)}\s*{_N}\s*件"),
    ),
    ("applications_closed", re.compile(rf"(?:办结|办理完毕|答复完毕){_gap(14)}\s*{_N}\s*件")),
    (
        "applications_pending",
        re.compile(rf"(?:正在办理|尚未办结|结转下一?年度?(?:继续办理)?|结转至下一?年度?)\s*{_N}\s*件"),
    ),
    ("applications_pending", re.compile(rf"{_N}\s*件(?:申请)?(?:结转|转入)(?:至|到)?下一?年度?")),
    ("proactive_items", re.compile(rf"主动公开(?:政府)?信息(?:共|总计|合计)?\s*{_N}\s*条")),
    ("reconsiderations", re.compile(rf"(?:政府信息公开)?行政复议(?:案件|申请)?(?:共|总计)?\s*{_N}\s*(?:件|起)")),
    ("lawsuits", re.compile(rf"(?:政府信息公开)?行政诉讼(?:案件)?(?:共|总计)?\s*{_N}\s*(?:件|起)")),
    ("fees_collected", re.compile(rf"实际收取[^。；\d]{{0,10}}?(?:为|共)?\s*{_N}(?:\.\d+)?\s*元")),
)

# What each fact may be compared with: any one of these sums must equal it.
COMPARISONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "applications_received": (("app.new.total",),),
    "applications_handled": (
        ("app.new.total",),
        ("app.total.total",),
        ("app.new.total", "app.carried_over.total"),
    ),
    "applications_closed": (("app.total.total",),),
    "applications_pending": (("app.carried_forward.total",),),
    "reconsiderations": (("rl.reconsideration.total",),),
    "lawsuits": (("rl.litigation_direct.total", "rl.litigation_after.total"),),
}


@dataclass(frozen=True)
class Fact:
    name: str
    value: int | float
    start: int
    end: int


def read_facts(lines: list[Line]) -> dict[str, Fact]:
    facts: dict[str, Fact] = {}
    for text, offsets in _paragraphs(lines):
        matchable = _matchable(text)
        for name, pattern in _PATTERNS:
            if name not in facts:
                fact = _fact(name, pattern, matchable, offsets)
                if fact is not None:
                    facts[name] = fact
    # Zero fees are boilerplate in almost every report and say nothing a table would contradict.
    if "fees_collected" in facts and facts["fees_collected"].value == 0:
        del facts["fees_collected"]
    return facts


def _paragraphs(lines: list[Line]) -> list[tuple[str, list[int]]]:
    """Prose joined across wrapped lines (PDF text breaks sentences anywhere), with the offset of every character."""
    paragraphs: list[tuple[str, list[int]]] = []
    text, offsets = "", list[int]()
    for line in [*lines, Line([], 0, 0)]:
        cells = [c for c in line.cells if c.text]
        # A table row is not prose; a wrapped prose line may still come as two cells when a
        # number at its end was split off ("…，结转下年度 4" / "件，…"), so those are joined back.
        sentence_and_number = len(cells) == 2 and not line.separated and len(cells[0].text) >= 10
        if not cells or (len(cells) > 1 and not sentence_and_number):
            if len(text) >= 6:
                paragraphs.append((text, offsets))
            text, offsets = "", []
            continue
        for index, cell in enumerate(cells):
            if index:
                text += " "
                offsets.append(cells[index - 1].end)
            text += cell.text
            offsets += range(cell.start, cell.start + len(cell.text))
    return paragraphs


def _fact(name: str, pattern: re.Pattern[str], text: str, offsets: list[int]) -> Fact | None:
    match = pattern.search(text)
    if match is None:
        return None
    if match.groupdict().get("zero") is not None:
        return Fact(name, 0, offsets[match.start()], offsets[match.end() - 1] + 1)
    value = read_number(match["n"]) if match["n"][0].isdigit() else chinese_number(match["n"])
    if value is None:
        return None
    return Fact(name, value, offsets[match.start("n")], offsets[match.end("n") - 1] + 1)


def _matchable(text: str) -> str:
    """Half-width, simplified text of the same length, so match offsets are offsets into the original."""
    converted = simplified(halfwidth(text))
    if len(converted) == len(text):
        return converted
    return "".join(_one_char(ch) for ch in halfwidth(text))


@lru_cache(maxsize=4096)
def _one_char(ch: str) -> str:
    converted = simplified(ch)
    return converted if len(converted) == 1 else ch


_DIGITS = {ch: i for i, ch in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int | None:
    """六 → 6, 十二 → 12, 一百零五 → 105, 二〇二三 → 2023; None for what is not a number."""
    if all(ch in _DIGITS for ch in text):
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)
