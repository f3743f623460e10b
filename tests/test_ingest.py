"""Encodings and formats: the same report reads the same whatever bytes or markup carry it."""

from __future__ import annotations

from pathlib import Path

import opencc
import pytest
from conftest import SEEDS

from extractor.ingest import from_bytes
from extractor.pipeline import extract_file, parser_report, read_document

SEED = SEEDS[0] if SEEDS else None
pytestmark = pytest.mark.skipif(SEED is None, reason="../shared/seeds is not beside the project")


def _report(data: bytes, name: str = "r.txt"):  # type: ignore[no-untyped-def]
    return parser_report(read_document(from_bytes(data, name)))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gb18030", "gbk"])
def test_encodings_read_like_utf8(encoding: str) -> None:
    assert SEED is not None
    text = SEED.read_text(encoding="utf-8")
    reference = _report(text.encode("utf-8"))
    report = _report(text.encode(encoding))
    assert report.cells == reference.cells
    assert report.provenance == reference.provenance
    assert report.source.chars == reference.source.chars


def test_big5_traditional_report() -> None:
    assert SEED is not None
    traditional = opencc.OpenCC("s2t").convert(SEED.read_text(encoding="utf-8"))
    reference = extract_file(SEED)
    report = _report(traditional.encode("big5", errors="replace"))
    assert report.cells == reference.cells
    assert report.meta.agency == reference.meta.agency


def test_fullwidth_digits_keep_offsets_into_the_original() -> None:
    assert SEED is not None
    text = SEED.read_text(encoding="utf-8").replace("\t9\n", "\t９\n", 1)
    report = _report(text.encode("utf-8"))
    assert report.cells["app.new.natural"] == 9
    span = report.provenance["app.new.natural"]
    assert text[span.start : span.end] == "９"


def _html_table(rows: list[list[str]]) -> str:
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{body}</table>"


def test_html_report_with_spans_and_entities() -> None:
    assert SEED is not None
    reference = extract_file(SEED)
    cells = reference.cells
    app_rows = [["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]]
    from extractor.template import APP_ROWS

    for row in APP_ROWS["2021"]:
        app_rows.append(
            [row.labels[0]]
            + [
                str(cells[f"app.{row.key}.{c}"])
                for c in ("natural", "commercial", "research", "nonprofit", "legal", "other_org", "total")
            ]
        )
    html = (
        "<html><head><title>x</title><script>var a = '三、收到和处理政府信息公开申请情况';</script></head><body>"
        "<div class=nav>首页 &gt; 政务公开</div>"
        "<h1>北京市城市管理综合行政执法局2023年政府信息公开工作年度报告</h1>"
        "<p>三、收到和处理政府信息公开申请情况</p>"
        + _html_table(app_rows).replace("<td>自然人</td>", '<td rowspan="1">自然&nbsp;人</td>')
        + "<p>五、存在的主要问题及改进情况</p></body></html>"
    )
    report = _report(html.encode("utf-8"), "r.html")
    app = {k: v for k, v in report.cells.items() if k.startswith("app.")}
    assert app == {k: v for k, v in cells.items() if k.startswith("app.")}
    span = report.provenance["app.unable_not_held.natural"]
    assert html[span.start : span.end] == "7"
    assert report.meta.agency == "北京市城市管理综合行政执法局"


def test_html_rowspan_colspan_grid() -> None:
    from extractor.htmlgrid import html_lines

    html = "<table><tr><td rowspan=2>a</td><td colspan=2>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
    lines = html_lines(html)
    assert [[c.text for c in line.cells] for line in lines] == [["a", "b", ""], ["", "c", "d"]]
    assert html[lines[1].cells[2].start : lines[1].cells[2].end] == "d"


def test_markdown_table(tmp_path: Path) -> None:
    rows = [
        "四、政府信息公开行政复议、行政诉讼情况",
        "| 行政复议 | | | | | 未经复议直接起诉 | | | | | 复议后起诉 | | | | |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 "
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |",
        "| 1 | 2 | 0 | 0 | 3 | 0 | 1 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 |",
        "五、存在的主要问题及改进情况",
    ]
    path = tmp_path / "r.md"
    path.write_text("某某局2022年政府信息公开工作年度报告\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = extract_file(path)
    assert report.cells["rl.reconsideration.total"] == 3
    assert report.cells["rl.litigation_direct.corrected"] == 1
    assert report.tables["rl"].state == "read"
