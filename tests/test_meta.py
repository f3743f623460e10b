"""Agency and year from the many ways a title is printed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from synth import _BODIES, _PLACES

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
        ("某某市某某局关于2022年度政府信息公开工作的年度报告", "某某市某某局", 2022),
        ("某某县人民政府2021年政府信息公开年报", "某某县人民政府", 2021),
        ("政府信息公开工作年度报告（2022年度）\n某某市财政局", "某某市财政局", 2022),
        ("2023年政府信息公开工作年度报告\n\n某某海关", "某某海关", 2023),
        ("首页 > 政务公开 > 政府信息公开年报\n某某市民政局2020年政府信息公开工作年度报告", "某某市民政局", 2020),
        ("首页 > 政务公开 > 年度报告\n2020年政府信息公开工作年度报告", None, 2020),
        ("政务公开 » 政府信息公开年报\n某某市民政局2020年政府信息公开工作年度报告", "某某市民政局", 2020),
    ],
)
def test_title_forms(title: str, agency: str | None, year: int) -> None:
    meta = read_meta(text_lines(title + "\n一、总体情况\n全年工作平稳。\n"))
    assert (meta.agency, meta.year) == (agency, year)


_UNNAMED_TITLES = (
    "{y}年政府信息公开工作年度报告",
    "{y}年度政府信息公开工作年度报告",
    "政府信息公开工作年度报告（{y}年度）",
    "# {y}年政府信息公开工作年度报告",
    "{y}年政府信息公开年报",
)
_PROSE = (
    "一、总体情况\n{y}年，我局认真贯彻落实《条例》，主动公开政府信息120条。\n",
    "五、存在的主要问题及改进情况\n公开内容还不够全面。\n",
    "六、其他需要报告的事项\n本年度未收取信息处理费。\n",
)
_FOOTER = ("", "\n主办单位：某某市人民政府办公室\n版权所有\n网站标识码1100000000\n")
_BODY_NAMES = st.builds(
    lambda city, district, body: city + district + body,
    st.sampled_from(sorted(_PLACES)),
    st.sampled_from(["", "某某区", "某某县"]),
    st.sampled_from(_BODIES),
)


@given(
    title=st.sampled_from(_UNNAMED_TITLES),
    name=_BODY_NAMES,
    where=st.sampled_from(["subtitle", "signature", "source", "nowhere", "prose_before_date"]),
    year=st.integers(2008, 2030),
    footer=st.sampled_from(_FOOTER),
    gap=st.sampled_from(["\n", "\n\n", "\n\u3000\n"]),
)
def test_a_title_without_a_name_takes_the_one_printed_where_only_a_name_can_be(
    title: str, name: str, where: str, year: int, footer: str, gap: str
) -> None:
    head = title.format(y=year) + gap
    if where == "subtitle":
        head += name + gap
    elif where == "source":
        head += f"发布时间：{year + 1}-01-20 09:30　来源：{name}" + gap
    body = "".join(p.format(y=year) for p in _PROSE)
    date = f"{year + 1}年1月{(year % 28) + 1}日"
    tail = {"signature": f"{gap}{name}{gap}{date}\n", "prose_before_date": f"{gap}特此报告。{gap}{date}\n"}
    meta = read_meta(text_lines(head + body + tail.get(where, "") + footer))
    expected = name if where in ("subtitle", "signature", "source") else None
    assert (meta.agency, meta.year) == (expected, year)


def test_a_source_field_that_names_no_body_is_not_an_agency() -> None:
    text = "2022年政府信息公开工作年度报告\n发布时间：2023-01-20　来源：本网\n一、总体情况\n全年工作平稳。\n"
    assert read_meta(text_lines(text)).agency is None


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
