"""Normalisation for matching, and reading a printed number.

Normalised text is only ever compared, never output: values and offsets always come from
the original text. NFKC is deliberately not used, because it turns ① and ㈠ into digits
and would make list markers look like numbers.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

import opencc

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH.update({0x3000: 0x20, 0x3001: ord(","), 0x3002: ord(".")})
# Punctuation, spaces and invisible characters carry no meaning for label matching; typographic
# variants of the same quote or bracket are common across agencies. Grounding a model's quote
# (`grounding.squash`) leaves out the same characters.
IGNORED = re.compile(
    r"[\s\u200b-\u200d\u2060\ufeff,.;:!?'\"()\[\]{}<>《》“”‘’「」『』【】〔〕、，。；：！？（）·•・_/\\|+\-—–－~～…*#]+"
)
_NUMBERING = re.compile(
    r"^\s*(?:[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|[一二三四五六七八九十]{1,3}\s*[、.．,，]"
    r"|\d{1,2}\s*[、.．,，)）](?!\d)|[①-⑳㈠-㈩])\s*"
)
_NUMBER = re.compile(
    r"^(?P<sign>增加|减少|增|减|\+|-|−|－)?\s*"
    r"(?P<int>\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.(?P<frac>\d+))?\s*"
    r"(?P<unit>万元|元|件|个|条|项|次|宗|份)?$"
)
# Traditional forms of the few characters a printed number may carry (signs and units).
_TRADITIONAL_UNITS = str.maketrans({"萬": "万", "減": "减", "増": "增", "個": "个", "條": "条", "項": "项"})
# Invisible characters web editors leave behind, and Markdown emphasis around a number (**24**).
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff*_")
_ZERO = re.compile(r"^(?:[-—–－/／]+|0+(?:\.0+)?)$")
ValueKind = Literal["count", "signed", "amount"]


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def halfwidth(text: str) -> str:
    """Full-width ASCII to half-width, ideographic space to space; nothing else changes."""
    return text.translate(_FULLWIDTH)


def simplified(text: str) -> str:
    return str(_t2s().convert(text))


@lru_cache(maxsize=4096)
def norm(text: str) -> str:
    """A matching key: simplified, half-width, no spaces or punctuation."""
    # Hong Kong and Taiwan print 資訊 where the mainland prints 信息; OpenCC keeps 资讯.
    return IGNORED.sub("", simplified(halfwidth(text))).replace("资讯", "信息")


def strip_numbering(text: str) -> str:
    """Drop a leading list marker: （一） (一) 一、 1. 1、 1． ① ㈠ and the like."""
    return _NUMBERING.sub("", text, count=1)


@lru_cache(maxsize=4096)
def label_key(text: str) -> str:
    """Normalised label with its list marker removed."""
    return norm(strip_numbering(halfwidth(text).strip()))


@lru_cache(maxsize=4096)
def read_number(printed: str, kind: ValueKind = "count") -> int | float | None:
    """The value of a printed table cell, or None when the text is not a number.

    `-`, `—` and `/` read as 0; `增/减` give the sign; an amount printed in 元 becomes 万元.
    """
    text = halfwidth(printed).translate(_INVISIBLE).strip().replace(" ", "").translate(_TRADITIONAL_UNITS)
    if not text:
        return None
    if _ZERO.match(text):
        return 0
    match = _NUMBER.match(text)
    if match is None:
        return None
    try:
        value = Decimal(match["int"].replace(",", "").replace("，", "") + "." + (match["frac"] or "0"))
    except InvalidOperation:
        return None
    if match["sign"] in ("减", "减少", "-", "−", "－"):
        value = -value
    if kind == "amount":
        if match["unit"] == "元":
            value = value / 10000
        return int(value) if value == value.to_integral_value() else float(value)
    if match["frac"] and int(match["frac"]) != 0:
        return float(value)
    return int(value)


@lru_cache(maxsize=4096)
def looks_numeric(printed: str) -> bool:
    return read_number(printed, "amount") is not None
