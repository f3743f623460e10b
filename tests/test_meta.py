"""Agency and year from the many ways a title is printed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor.layout import text_lines
from extractor.meta import _simplified_lines, read_meta
from extractor.normalize import halfwidth, simplified


@pytest.mark.parametrize(
    "title, agency, year",
    [
        ("北京市城市管理委员会2020年政府信息公开工作年度报告", "北京市城市管理委员会", 2020),
        ("2023年度某某区民政局政府信息公开工作年度报告", "某某区民政局", 2023),
        ("某某市交通运输局政府信息公开工作2022年度报告", "某某市交通运输局", 2022),
        ("某某县人民政府办公室关于2021年政府信息公开工作年度报告", "某某县人民政府办公室", 2021),
        ("某某市财政局\n二〇二二年政府信息公开工作年度报告", "某某市财政局", 2022),
        ("某某市卫生健康委员会\n2023年政府信息公开\n工作年度报告", "某某市卫生健康委员会", 2023),
        ("# 某某市农业农村局 2024 年政府信息公开工作年度报告", "某某市农业农村局", 2024),
        ("某某市統計局2021年政府信息公開工作年度報告", "某某市统计局", 2021),
    ],
)
def test_title_forms(title: str, agency: str, year: int) -> None:
    meta = read_meta(text_lines(title + "\n一、总体情况\n全年工作平稳。\n"))
    assert (meta.agency, meta.year) == (agency, year)


def test_year_from_the_first_paragraph_when_the_title_has_none() -> None:
    text = "某某市审计局政府信息公开工作年度报告\n一、总体情况\n2021年，我局认真落实条例。2018年以来持续推进。\n"
    assert read_meta(text_lines(text)).year == 2021


_TRADITIONAL_PIECES = st.sampled_from(
    [
        "政府資訊公開",
        "年度報告",
        "市場監督管理局",
        "乾隆",
        "頭髮",
        "發展",
        "\n",
        "\u3000",
        "Ａ１",
        " ",
        "后",
        "裡面",
        "干",
    ]
)


@given(st.lists(st.lists(_TRADITIONAL_PIECES, max_size=6).map("".join), max_size=8))
def test_lines_convert_in_one_call_as_they_do_one_by_one(texts: list[str]) -> None:
    assert _simplified_lines(texts) == [simplified(halfwidth(text)).strip() for text in texts]
