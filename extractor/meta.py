"""Report metadata from the title: the issuing body and the year covered.

The title is the line (or two) that ends in 政府信息公开工作年度报告 (or 年报, 工作的年度报告…);
the agency is what precedes it once the year is removed, given in simplified characters.
A title without a body's name ("2023年政府信息公开工作年度报告") takes a name printed where
nothing else can be: a line holding only a body's name right after the title, else the
signature above the closing date, else a web page's 来源/发布机构 field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .layout import Line
from .normalize import halfwidth, simplified

_TITLE = re.compile(r"政府(?:信息|资讯)公开(?:工作)?(?:\s*\d{4}\s*年度?)?的?(?:年度)?(?:工作)?(?:报告|年报)")
_YEAR = re.compile(r"(\d{4})\s*年")
_CN_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})\s*年")
_CN_DIGITS = {ch: str(i) for i, ch in enumerate("〇一二三四五六七八九")} | {"零": "0"}
_NOISE = re.compile(r"[#*＃]+|[（(][^）)]*[）)]|\d{4}\s*年度?|[〇零一二三四五六七八九]{4}\s*年度?|关于|[\s:：_|—\-]+")
_TRAILING = re.compile(r"(?:的|之)$")
# A web page's breadcrumb ("首页 > 政务公开 > 政府信息公开年报") names the section, never the report.
# A bare ">" is not enough: a name may hold markup, which must come through as printed.
_CRUMB = re.compile(r"首页|当前位置|您的位置|所在位置|\s[>›»]\s")
# A line that is a body's name and nothing else: no digits, no punctuation, a body's ending.
_BODY = re.compile(
    r"[\u4e00-\u9fff（）()]{2,38}?(?:局|委员会|委|办公室|办|政府|中心|厅|部|院|署|处|所|队|站|馆|会|关|台|街道|镇|乡|区|县|市|州|旗|省)"
)
_SOURCE = re.compile(r"(?:来源|发布机构|发布单位|发文机关)\s*[:：]\s*([^\s:：|]+)")
_DATE = re.compile(
    r"(?:\d{4}年\d{1,2}月(?:\d{1,2}日)?|[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月(?:[一二三四五六七八九十]{1,3}日)?)"
)


@dataclass(frozen=True)
class MetaRead:
    agency: str | None
    year: int | None
    title_start: int | None = None
    title_end: int | None = None


def read_meta(lines: list[Line]) -> MetaRead:
    texts = _simplified_lines([line.text for line in lines[:60]])
    for index, text in enumerate(texts):
        if _CRUMB.search(text):
            continue
        # A title may be set over two or three lines ("…局" / "2023年政府信息公开" / "工作年度报告").
        following = [i for i in range(index + 1, min(index + 4, len(texts))) if texts[i]][:2]
        for k in range(len(following) + 1):
            joined = "".join([text, *(texts[i] for i in following[:k])])
            match = _TITLE.search(joined)
            if match is not None and len(joined) <= 80 and match.start() < len(text) + 1:
                after = following[k - 1] + 1 if k else index + 1
                return _from_title(texts, lines, (index, after), joined, match)
    return MetaRead(None, _prose_year(texts))


def _simplified_lines(texts: list[str]) -> list[str]:
    """Each text half-width, simplified and stripped, converted in one OpenCC call: no phrase of
    its dictionaries holds a line break, so the lines convert exactly as they would one by one."""
    converted = simplified(halfwidth("\n".join(texts))).split("\n")
    if len(converted) != len(texts):  # a text held a line break of its own
        converted = [simplified(halfwidth(text)) for text in texts]
    return [text.strip() for text in converted]


def _from_title(
    texts: list[str], lines: list[Line], span: tuple[int, int], joined: str, match: re.Match[str]
) -> MetaRead:
    index, after = span
    title = joined[: match.start()]
    previous = _previous_nonempty(texts, index)
    if previous is not None and len(_clean(title)) < 2 and not _CRUMB.search(texts[previous]):
        title = texts[previous] + title
    year = _year(joined[: match.end()]) or _year(joined[match.end() :])
    if year is None and previous is not None:
        year = _year(texts[previous])
    agency = _clean(title) or _named_after(texts, after) or _signed(lines) or _source(texts)
    return MetaRead(agency or None, year or _prose_year(texts[index + 1 :]), lines[index].start, lines[index].end)


def _body(text: str) -> str | None:
    name = _clean(text)
    return name if _BODY.fullmatch(name) else None


def _named_after(texts: list[str], after: int) -> str | None:
    """A subtitle line holding only a body's name ("2023年…年度报告" / "某某市财政局"); lines that
    hold nothing once the year and brackets are dropped ("（2022年度）") are passed over."""
    for text in texts[after : after + 4]:
        if _clean(text):
            return _body(text)
    return None


def _signed(lines: list[Line]) -> str | None:
    """The body's name signed above the closing date, within the last lines (a web page's footer
    follows the article)."""
    tail = [text for text in _simplified_lines([line.text for line in lines[-40:]]) if text]
    for index in range(len(tail) - 1, 0, -1):
        if _DATE.fullmatch(re.sub(r"\s+", "", tail[index])):
            return _body(tail[index - 1])
    return None


def _source(texts: list[str]) -> str | None:
    """A web page's 来源 / 发布机构 field, when it names a body ("来源：本网" does not)."""
    for text in texts:
        match = _SOURCE.search(text)
        if match is not None:
            return _body(match.group(1))
    return None


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
