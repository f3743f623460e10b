"""Report metadata from the title: the issuing body and the year covered.

The title is the line (or two) that ends in 政府信息公开工作年度报告; the agency is what
precedes it once the year is removed, given in simplified characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .layout import Line
from .normalize import halfwidth, simplified

_TITLE = re.compile(r"政府(?:信息|资讯)公开(?:工作)?(?:\s*\d{4}\s*年度?)?(?:年度)?(?:工作)?报告")
_YEAR = re.compile(r"(\d{4})\s*年")
_CN_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})\s*年")
_CN_DIGITS = {ch: str(i) for i, ch in enumerate("〇一二三四五六七八九")} | {"零": "0"}
_NOISE = re.compile(r"[#*＃]+|[（(][^）)]*[）)]|\d{4}\s*年度?|[〇零一二三四五六七八九]{4}\s*年度?|关于|[\s:：_|—\-]+")
_TRAILING = re.compile(r"(?:的|之)$")


@dataclass(frozen=True)
class MetaRead:
    agency: str | None
    year: int | None
    title_start: int | None = None
    title_end: int | None = None


def read_meta(lines: list[Line]) -> MetaRead:
    texts = _simplified_lines([line.text for line in lines[:60]])
    for index, text in enumerate(texts):
        # A title may be set over two or three lines ("…局" / "2023年政府信息公开" / "工作年度报告").
        following = [t for t in texts[index + 1 : index + 4] if t][:2]
        for joined in (text, *("".join([text, *following[:k]]) for k in (1, 2))):
            match = _TITLE.search(joined)
            if match is not None and len(joined) <= 80 and match.start() < len(text) + 1:
                return _from_title(texts, lines, index, joined, match)
    return MetaRead(None, _prose_year(texts))


def _simplified_lines(texts: list[str]) -> list[str]:
    """Each text half-width, simplified and stripped, converted in one OpenCC call: no phrase of
    its dictionaries holds a line break, so the lines convert exactly as they would one by one."""
    converted = simplified(halfwidth("\n".join(texts))).split("\n")
    if len(converted) != len(texts):  # a text held a line break of its own
        converted = [simplified(halfwidth(text)) for text in texts]
    return [text.strip() for text in converted]


def _from_title(texts: list[str], lines: list[Line], index: int, joined: str, match: re.Match[str]) -> MetaRead:
    title = joined[: match.start()]
    previous = _previous_nonempty(texts, index)
    if previous is not None and len(_clean(title)) < 2:
        title = texts[previous] + title
    year = _year(joined[: match.end()]) or _year(joined[match.end() :])
    if year is None and previous is not None:
        year = _year(texts[previous])
    return MetaRead(
        _clean(title) or None, year or _prose_year(texts[index + 1 :]), lines[index].start, lines[index].end
    )


def _previous_nonempty(texts: list[str], index: int) -> int | None:
    for back in range(index - 1, max(-1, index - 4), -1):
        if texts[back]:
            return back
    return None


def _clean(title: str) -> str:
    return _TRAILING.sub("", _NOISE.sub("", title))


def _year(text: str) -> int | None:
    match = _YEAR.search(text)
    if match:
        year = int(match.group(1))
        return year if 2000 <= year <= 2100 else None
    match = _CN_YEAR.search(text)
    if match:
        return int("".join(_CN_DIGITS[ch] for ch in match.group(1)))
    return None


_OPENING_YEAR = re.compile(r"^(?:[（(]?[一二三四五六七八九十\d]{1,2}[)）、.]?)?\s*(\d{4})\s*年")


def _prose_year(texts: list[str]) -> int | None:
    """A report's first paragraph opens with the year it covers ("2021年，我局…")."""
    for text in texts:
        match = _OPENING_YEAR.match(text)
        if match and 2000 <= int(match.group(1)) <= 2100:
            return int(match.group(1))
    years = [year for year in (_year(text) for text in texts) if year]
    return max(set(years), key=years.count) if years else None
