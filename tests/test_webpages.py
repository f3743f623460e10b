"""Saved web pages: the article, not the site's navigation; GBK pages and .mhtml archives decoded."""

from __future__ import annotations

import random
import re
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path
from unittest import mock

import synth
from hypothesis import given
from hypothesis import strategies as st

from extractor import htmlgrid
from extractor.htmlgrid import html_lines
from extractor.ingest import load
from extractor.pipeline import extract_file

_NAV = (
    '<div class="top-nav"><a href="/">首页</a><a href="/zwgk">政府信息公开</a>'
    '<ul><li><a href="/a">2022年政府信息公开工作年度报告</a> 2023-01-30</li>'
    '<li><a href="/b">某某区人民政府2021年政府信息公开工作年度报告</a> 12</li></ul></div>'
    '<nav><a href="/x">互动交流 8</a></nav>'
)


def _page(seed: int) -> tuple[str, dict[str, int | float]]:
    rng = random.Random(seed)
    report = synth.random_report(rng)
    page = synth.render(report, "html", rng, noise=False).replace("<body>", "<body>" + _NAV, 1)
    return page, synth.gold_cells(report)


def test_navigation_is_not_read_as_the_report(tmp_path: Path) -> None:
    page, gold = _page(11)
    texts = [line.text for line in html_lines(page)]
    assert not any("互动交流" in t or "某某区人民政府" in t or "首页" in t or "当前位置" in t for t in texts)
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    assert extract_file(path).cells == gold


def test_an_unclosed_navigation_block_does_not_swallow_the_page() -> None:
    page, _ = _page(12)
    broken = page.replace("<body>", '<body><div class="menu"><a href="/">首页</a>', 1)
    texts = " ".join(line.text for line in html_lines(broken))
    assert "收到和处理政府信息公开申请情况" in texts


def test_gbk_page_is_decoded_by_its_declared_charset(tmp_path: Path) -> None:
    page, gold = _page(13)
    declared = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    page = page.replace('<meta charset="utf-8">', declared)
    path = tmp_path / "gbk.htm"
    path.write_bytes(page.encode("gbk"))
    document = load(path)
    assert document.encoding == "gb18030"
    assert document.text == page
    assert extract_file(path).cells == gold


def test_mhtml_archive_reads_its_html_part(tmp_path: Path) -> None:
    page, gold = _page(14)
    archive = MIMEMultipart("related")
    archive["Subject"] = "report"
    archive.attach(MIMEText(page.replace('charset="utf-8"', 'charset="gbk"'), "html", "gbk"))
    path = tmp_path / "saved.mhtml"
    path.write_bytes(archive.as_bytes())
    report = extract_file(path)
    assert report.source.kind == "mhtml"
    assert report.cells == gold
    span = report.provenance["app.new.total"]
    assert span.where is not None and span.where.endswith("of the HTML source")


# Pieces of a table cell's markup: some cells take the plain-cell fast path, the others (an
# entity, a comment, two runs of text, an omitted </td>) the general one.
_CELL_PIECES = st.sampled_from(
    [
        " ",
        "\n",
        "\u3000",
        "<p>",
        "</p>",
        '<p class="x">',
        "<b>",
        "</b>",
        "<br/>",
        "<span>",
        "</span>",
        "12",
        "3 4",
        "不予公开",
        "&nbsp;",
        "<!---->",
        "<td>",
    ]
)
_CELL = st.lists(_CELL_PIECES, max_size=7).map("".join)
_SPAN = st.sampled_from(["", ' rowspan="2"', " colspan=2", ' ROWSPAN="3" colspan="1"'])


@given(st.lists(st.lists(st.tuples(_SPAN, _CELL), min_size=1, max_size=4), min_size=1, max_size=4))
def test_plain_cells_read_as_the_general_path_reads_them(rows: list[list[tuple[str, str]]]) -> None:
    body = "".join("<tr>" + "".join(f"<td{span}>{cell}</td>" for span, cell in row) + "</tr>" for row in rows)
    page = f"<p>前言</p><table>{body}</table><p>结语</p>"

    def shape() -> list[tuple[bool, list[tuple[str, int, int]]]]:
        return [(line.separated, [(c.text, c.start, c.end) for c in line.cells]) for line in html_lines(page)]

    fast = shape()
    with mock.patch.object(htmlgrid, "_PLAIN_CELL", re.compile(r"(?!)")):  # never matches
        assert shape() == fast
