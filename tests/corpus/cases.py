"""The corpus cases. Run `python tests/corpus/cases.py` to (re)write the files and expected.json.

Seed 000 (北京市城市管理综合行政执法局 2023, one cell per line, 2021 template) is the usual
base; 001 (通州, one cell per line), 002 (卫滨, tab rows) and 003 (沙河 2020, 2019 template)
are used where their layout or template is the point. Every case says what it changes.
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build as b
from build import case, lines_of, seed

T0, G0 = seed("000")
C0 = G0["cells"]
TITLE0 = "北京市城市管理综合行政执法局2023年\n\n政府信息公开工作年度报告"
PROSE0 = lines_of("000", 4, 35)  # 一、总体情况 … (states 2149 items, 9 closed, 1 pending)
A20_0 = lines_of("000", 37, 85)  # heading 主动公开政府信息情况 + table 二 one cell per line
APP_0 = lines_of("000", 86, 373)  # heading + table 三
RL_0 = lines_of("000", 374, 430)  # heading + table 四
TAIL0 = lines_of("000", 431, 438)  # 五、六、
A20_HEAD = "二、主动公开政府信息情况"
APP_HEAD = "三、收到和处理政府信息公开申请情况"
RL_HEAD = "四、政府信息公开行政复议、行政诉讼情况"
H1_0 = "北京市城市管理综合行政执法局2023年政府信息公开工作年度报告"  # the title on one line (HTML, Markdown)
# Four-digit figures (1209 closed), balanced.
BIG = {
    "app.new.natural": 1209,
    "app.new.total": 1210,
    "app.unable_not_held.natural": 1207,
    "app.unable_not_held.total": 1207,
    "app.total.natural": 1208,
    "app.total.total": 1209,
}


def web_seed(grid: list[list[str]]) -> str:
    """The seeds' web copy: every cell on its own tab-indented line, a blank line between rows."""
    return "\n\n".join("\n".join("\t" + c for c in row) for row in grid)


def doc0(
    app: str, *, a20: str = A20_0, rl: str = RL_0, prose: str = PROSE0, title: str = TITLE0, tail: str = TAIL0
) -> str:
    return "\n".join([title, prose, "", a20, "", app, "", rl, "", tail]) + "\n"


def with_cells(changes: dict) -> dict:  # type: ignore[type-arg]
    return C0 | changes


def case0(name: str, text: str, *, ext: str = "txt", **kw: Any) -> None:
    """A case on seed 000."""
    case(name, ext, text, "000", **kw)


def inject_case(name: str, inj: dict, layout: Callable[[list[list[str]]], str], note: str) -> None:  # type: ignore[type-arg]
    """Seed 000 with the cells `inj` changed in table 三, printed by `layout`."""
    case0(name, doc0(APP_HEAD + "\n" + layout(b.app_grid(with_cells(inj)))), changes=inj, note=note)


def retitled(section: str, head: str) -> str:
    """A section (heading line + table) with another heading."""
    return head + "\n" + section.split("\n", 1)[1]


def blank_cell(key: str) -> Callable[[str, object], str]:
    """A `fmt_value` printing the cell `key` blank and every other number as is."""
    return lambda k, value: "" if k == key else str(value)


def single_spaced(grid: list[list[str]]) -> str:
    """A WeChat/article copy of table 三: label then its numbers, all separated by single spaces."""
    head = b.APP_NOTE + "\n申请人情况\n自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计"
    return head + "\n" + "\n".join("".join(c for c in row[:3] if c) + " " + " ".join(row[3:]) for row in grid[3:])


def rl_rows(cells: dict) -> str:  # type: ignore[type-arg]
    """Section 四 with table 四 as three labelled rows (one per group)."""
    groups = (
        ("行政复议", "reconsideration"),
        ("行政诉讼（未经复议直接起诉）", "litigation_direct"),
        ("行政诉讼（复议后起诉）", "litigation_after"),
    )
    rows = [f"{label}\t" + "\t".join(str(cells[f"rl.{g}.{c}"]) for c in b.RL_COLS) for label, g in groups]
    return RL_HEAD + "\n\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n" + "\n".join(rows)


def sections_doc(
    render: Callable[[list[list[str]]], str],
    app: list[list[str]],
    *,
    cells: dict = C0,  # type: ignore[type-arg]
    prose: str = PROSE0,
    head: str = "{}",
    title: str = H1_0,
) -> str:
    """A converter's output (Markdown, pandoc): title, prose, then each heading (`head` formats it) and its
    table as `render` prints it; tables 二 and 四 from `cells`, table 三 from the grid `app`."""
    parts = [title, prose]
    for heading, grid in ((A20_HEAD, b.a20_grid(cells)), (APP_HEAD, app), (RL_HEAD, b.rl_grid(cells))):
        parts += [head.format(heading), render(grid)]
    return "\n\n".join([*parts, TAIL0]) + "\n"


def app_html(cells: dict, *, cms: bool = True) -> str:  # type: ignore[type-arg]
    """Table 三 the way a CMS prints it: rowspan/colspan headers, <p>/<span> in every cell."""

    def td(text: str, rs: int = 1, cs: int = 1) -> str:
        attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
        body = html.escape(text).replace("（区分", "<br/>（区分")
        if cms:
            body = (
                f'<div class="td"><p style="text-align:center;"><span style="font-size:14px;">{body}</span></p></div>'
            )
        return f"<td{attrs}>{body}</td>"

    rows = [
        td(b.APP_NOTE, 3, 3) + td("申请人情况", 1, 7),
        td("自然人", 2) + td("法人或其他组织", 1, 5) + td("总计", 2),
        "".join(td(h) for h in b.ORG_HEADS),
    ]
    spans = {"（三）不予公开": 8, "（四）无法提供": 3, "（五）不予处理": 5, "（六）其他处理": 3}
    for top, group, sub, key in b.ROWS_2021:
        values = "".join(td(str(cells[f"app.{key}.{c}"])) for c in b.COLS)
        if top and not group:
            rows.append(td(top, 1, 3) + values)
            continue
        head = td(top, 22) if top else ""
        if group and not sub:
            head += td(group, 1, 2)
        elif group:
            head += td(group, spans[group]) + td(sub)
        else:
            head += td(sub)
        rows.append(head + values)
    return '<table class="MsoNormalTable" border="1">\n' + "\n".join(f"<tr>{r}</tr>" for r in rows) + "\n</table>"


def html_page(body: str) -> str:
    nav = (
        '<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>'
        '<li><a href="/zwgk/ndbg/">政府信息公开年报</a></li><li><a href="/hd/">互动交流</a></li></ul></div>\n'
        '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 年度报告</div>\n'
    )
    foot = (
        '<div class="footer"><p>第1页 共1页</p><p>【打印本页】 【关闭窗口】</p>'
        "<p>主办：北京市城市管理综合行政执法局 京ICP备05060933号 京公网安备11010202007652号</p></div>"
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>北京市城市管理综合行政执法局2023年政府信息公开'
        "工作年度报告</title><style>td{border:1px solid #000}</style></head>\n<body>\n"
        + nav
        + body
        + "\n"
        + foot
        + "\n<script>var pageNo=1;</script>\n</body></html>\n"
    )


def paragraphs(text: str) -> str:
    return "\n".join(f"<p>{html.escape(line.strip())}</p>" for line in text.split("\n") if line.strip())


def build_all() -> None:
    grid0 = b.app_grid(C0)

    case0(
        "c01_cms_no_blank_lines",
        doc0(APP_HEAD + "\n" + b.web_no_blank(grid0)),
        note="table 三 copied from another CMS: each non-empty cell on its own line, no blank lines, no tabs",
    )
    case0(
        "c02_two_cells_per_line",
        doc0(APP_HEAD + "\n" + b.pairs(grid0)),
        note="table 三 printed two cells per line (tab between)",
    )
    for name, numbers, note in (
        ("c03_paren_headings", ("（二）", "（三）", "（四）"), "section headings numbered （二）（三）（四）"),
        (
            "c04_biao_headings",
            ("表一：", "表二：", "表三："),
            "table captions 表一/表二/表三 instead of section numbers",
        ),
    ):
        # head[2:] drops the 二、/三、/四、 of the usual heading.
        a20, app, rl = (number + head[2:] for number, head in zip(numbers, (A20_HEAD, APP_HEAD, RL_HEAD), strict=True))
        case0(name, doc0(retitled(APP_0, app), a20=retitled(A20_0, a20), rl=retitled(RL_0, rl)), note=note)
    case0(
        "c05_markdown_bold_headings",
        sections_doc(b.markdown, grid0, head="**{}**", title="# " + H1_0),
        ext="md",
        note="Markdown from a converter: bold headings, pipe tables with empty merged cells",
    )
    variants = {
        "new": "一、本年新收政府信息公开申请",
        "carried_over": "二、上年度结转政府信息公开申请数量",
        "total": "总计",
        "carried_forward": "四、结转下年度继续办理的申请",
        "denied_safety": '3.危及"三安全一稳定"',
        "denied_process": "6.属于四类过程信息",
    }
    case0(
        "c06_label_wording_variants",
        doc0(APP_HEAD + "\n" + b.tabbed(b.app_grid(C0, labels=variants))),
        note="tab rows; label variants: 本年新收政府信息公开申请, 上年度结转, 总计, 结转下年度继续办理的申请, "
        "straight quotes, 四类过程信息",
    )
    notes_app = (
        APP_HEAD
        + "\n单位：件\n"
        + b.tabbed(grid0)
        + "\n注：1.本表“自然人”含委托代理人代为提交的申请1件。\n2.结转下年度继续办理的1件已于2024年1月办结。"
    )
    notes_rl = RL_0 + "\n注：行政复议1件，经复议维持原答复。"
    case0(
        "c07_notes_in_tables",
        doc0(notes_app, rl=notes_rl),
        note="单位：件 above table 三, 注： lines with numbers below tables 三 and 四",
    )
    title8 = (
        "首页 > 政务公开 > 政府信息公开年报\n\n北京市城市管理综合行政执法局\n2023年政府信息公开\n工作年度报告\n"
        "发布时间：2024-01-19 09:30    来源：北京市城市管理综合行政执法局\n"
    )
    case0(
        "c08_breadcrumb_three_line_title",
        doc0(APP_0, title=title8),
        note="site breadcrumb, title spread over three lines, publication date 2024 below it",
    )
    t1, g1 = seed("001")
    case(
        "c09_chinese_year",
        "txt",
        t1.replace("2023年政府信息公开工作年度报告", "二〇二三年政府信息公开工作年度报告", 1),
        "001",
        note="title year written 二〇二三年",
    )
    t3, _ = seed("003")
    case(
        "c10_outdated_2022_with_2019_table",
        "txt",
        t3.replace("2020年政府信息公开工作年度报告", "2022年政府信息公开工作年度报告", 1).replace(
            "2021年1月25日", "2023年1月20日"
        ),
        "003",
        rules={"template.outdated"},
        status="accepted",
        meta={"agency": "沙河市城市管理综合行政执法局", "year": 2022, "template": "2019"},
        note="a 2022 report printing the 2019 tables: template.outdated (a warning, so still accepted)",
    )
    inj = {"rl.litigation_after.upheld": 2, "rl.litigation_after.pending": 1, "rl.litigation_after.total": 3}
    case0(
        "c11_rl_three_rows",
        doc0(APP_0, rl=rl_rows(with_cells(inj))),
        changes=inj,
        note="table 四 printed as three rows with group labels (litigation_after changed to 2/0/0/1/3)",
    )
    order = ("total", *b.COLS[:-1])
    case0(
        "c12_total_column_first",
        doc0(APP_HEAD + "\n" + b.tabbed(b.app_grid(C0, cols=order))),
        note="table 三 tab rows with the 总计 column printed first",
    )

    def spaced(key: str, value: object) -> str:
        text = str(value)
        return text[:-3] + " " + text[-3:] if len(text) > 3 else text

    case0(
        "c13_numbers_with_spaces",
        doc0(
            APP_HEAD + "\n" + web_seed(b.app_grid(with_cells(BIG), fmt_value=spaced)),
            prose=PROSE0.replace("办结依申请公开申请9件", "办结依申请公开申请1209件"),
        ),
        changes=BIG,
        note="thousands printed with a space inside ('1 209'); seed layout; prose updated to 1209",
    )
    case0(
        "c14_html_cms",
        html_page(report_html(app_html(C0), cells=C0, prose=PROSE0, strong=True)),
        ext="html",
        note="CMS page: nav menu, breadcrumb, rowspan/colspan, <div><p><span> and <br/> inside cells, footer 第1页",
    )
    one = (
        "<html><body><h2>北京市城市管理综合行政执法局2023年政府信息公开工作年度报告</h2>"
        + paragraphs(PROSE0).replace("\n", "")
        + "<p>二、主动公开政府信息情况</p>"
        + b.html_table(b.a20_grid(C0), cms=False, one_line=True)
        + "<p>三、收到和处理政府信息公开申请情况</p>"
        + app_html(C0, cms=False).replace("\n", "")
        + "<p>四、政府信息公开行政复议、行政诉讼情况</p>"
        + b.html_table(b.rl_grid(C0), cms=False, one_line=True)
        + paragraphs(TAIL0).replace("\n", "")
        + "</body></html>"
    )
    case0("c15_html_one_line", one, ext="html", note="the whole HTML document on one line")
    case0(
        "c16_pdf_layout_wide_labels",
        doc0(APP_HEAD + "\n" + b.pdf_layout(grid0)),
        note="pdftotext -layout table 三: 60-column label field, labels wrapped at 22 chars, numbers single-spaced",
    )
    inject_case(
        "c17_inject_new_natural",
        {"app.new.natural": 8},
        web_seed,
        note="app.new.natural 9 -> 8 (breaks app.flow natural and app.row_sum new)",
    )
    t2, _ = seed("002")
    rl_line = "\t".join(["0"] * 15)
    assert rl_line in t2
    case(
        "c18_inject_rl_total",
        "txt",
        t2.replace(rl_line, "\t".join(["0"] * 4 + ["1"] + ["0"] * 10)),
        "002",
        changes={"rl.reconsideration.total": 1},
        note="seed 002 (tab rows) with rl.reconsideration.total 0 -> 1",
    )
    inj = {"app.granted.natural": 3, "app.granted.total": 3}
    t1_app = "\n".join(t1.split("\n")[77:364])  # heading + table 三 of seed 001
    t1_new = t1.replace(t1_app, APP_HEAD + "\n" + web_seed(b.app_grid(g1["cells"] | inj)))
    case(
        "c19_inject_results_sum",
        "txt",
        t1_new,
        "001",
        changes=inj,
        note="seed 001 with granted 2 -> 3 in natural and total (rows add up; app.results_sum breaks)",
    )
    inject_case(
        "c20_inject_flow",
        {"app.carried_over.natural": 1, "app.carried_over.total": 1},
        b.tabbed,
        note="carried_over 0 -> 1 in natural and total: only app.flow breaks",
    )
    case(
        "c21_narrative_received",
        "txt",
        t1.replace("全年共接收依申请公开5件", "全年共接收依申请公开6件"),
        "001",
        rules={"narrative.mismatch"},
        note="seed 001 prose says 6 applications received; the table says 5",
    )
    case0(
        "c22_narrative_closed",
        doc0(APP_0, prose=PROSE0.replace("办结依申请公开申请9件", "办结依申请公开申请8件")),
        rules={"narrative.mismatch"},
        note="seed 000 prose says 8 closed; app.total.total is 9",
    )
    prose_only = (
        "\n".join(
            [
                TITLE0,
                PROSE0,
                "",
                A20_HEAD,
                "（表格见下图）",
                "",
                APP_HEAD,
                "（表格见下图）",
                "",
                RL_HEAD,
                "（表格见下图）",
                "",
                TAIL0,
            ]
        )
        + "\n"
    )
    case0(
        "c23_prose_only",
        prose_only,
        no_cells=True,
        rules={"table.missing"},
        meta={"agency": "北京市城市管理综合行政执法局", "year": 2023, "template": None},
        note="tables published as images: only the prose and the headings remain",
    )
    import opencc

    from extractor.normalize import simplified  # noqa: F401  (only to make sure opencc is present)

    trad = opencc.OpenCC("s2t").convert(T0)
    case0("c24_traditional", trad, note="seed 000 converted to traditional characters")

    case0(
        "c25_blank_cell",
        doc0(APP_HEAD + "\n" + b.tabbed(b.app_grid(C0, fmt_value=blank_cell("app.denied_law.legal")))),
        drop=("app.denied_law.legal",),
        rules={"table.incomplete"},
        note="tab rows; app.denied_law.legal printed blank: left out, table.incomplete",
    )
    marks = {"denied": "-", "unable": "—", "rejected": "/", "other": "／"}

    def dashes(key: str, value: object) -> str:
        row = key.split(".")[1]
        for prefix, mark in marks.items():
            if row.startswith(prefix) and value == 0:
                return mark
        return str(value)

    case0(
        "c26_dash_zeros",
        doc0(APP_HEAD + "\n" + b.tabbed(b.app_grid(C0, fmt_value=dashes))),
        note="zeros printed as - — / ／ in the result rows",
    )
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    case0(
        "c27_fullwidth_digits",
        doc0(APP_HEAD + "\n" + b.tabbed(b.app_grid(C0, fmt_value=lambda k, v: str(v).translate(full)))),
        note="table 三 numbers in full-width digits",
    )
    case("c28_gbk_crlf", "txt", t1.replace("\n", "\r\n"), "001", encoding="gbk", note="seed 001 in GBK with CRLF")
    # A sentence between each heading and its table.
    app29 = (
        APP_HEAD
        + "\n2023年，本机关共收到政府信息公开申请10件，上年结转0件；办结9件，结转下年度继续办理1件。具体情况如下："
    )
    rl29 = RL_HEAD + "\n2023年，本机关发生政府信息公开行政复议1件，结果维持1件；未发生行政诉讼。"
    case0(
        "c29_prose_inside_sections",
        doc0(retitled(APP_0, app29), rl=retitled(RL_0, rl29)),
        note="a sentence with numbers (consistent) between each heading and its table",
    )
    lines31 = []
    for top, group, sub, key in b.ROWS_2021:
        values = "\t".join(str(C0[f"app.{key}.{c}"]) for c in b.COLS)
        label = sub or group or top
        if top and (group or sub):
            lines31.append(top)
        if group and sub:
            lines31.append(group)
        lines31.append(label + "\t" + values)
    head31 = b.APP_NOTE + "\n\t自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计"
    case0(
        "c30_group_heading_rows",
        doc0(APP_HEAD + "\n" + head31 + "\n" + "\n".join(lines31)),
        note="Word export with unmerged cells: group headings (三、本年度办理结果, （三）不予公开 …) "
        "on lines of their own, one-row header",
    )
    grid31 = b.app_grid(C0)
    # A PDF page break in the middle of table 三: footer, page number, repeated header line.
    rows = b.tabbed(grid31).split("\n")
    broken = "\n".join(
        [
            *rows[:14],
            "",
            "- 3 -",
            "",
            "\t\t\t自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计",
            *rows[14:],
        ]
    )
    case0(
        "c31_page_break_repeated_header",
        doc0(APP_HEAD + "\n" + broken),
        note="tab rows with a page number and the column header repeated mid-table (Word/PDF page break)",
    )

    more_cases()


def pandoc_grid(grid: list[list[str]]) -> str:
    """A pandoc grid table (+---+ borders, = under the header), every cell on one line."""
    width = max(len(r) for r in grid)
    rows = [r + [""] * (width - len(r)) for r in grid]
    widths = [max(b._w(r[i]) for r in rows) + 2 for i in range(width)]

    def rule(ch: str) -> str:
        return "+" + "+".join(ch * w for w in widths) + "+"

    def line(r: list[str]) -> str:
        return "|" + "|".join(" " + c + " " * (w - 1 - b._w(c)) for c, w in zip(r, widths, strict=True)) + "|"

    out = [rule("-")]
    for k, r in enumerate(rows):
        out += [line(r), rule("=" if k == 2 else "-")]
    return "\n".join(out)


def more_cases() -> None:
    grid0 = b.app_grid(C0)
    t0_stripped = "\n".join(line.lstrip("\t") for line in T0.split("\n"))
    case0(
        "c32_seed_tabs_stripped",
        t0_stripped,
        note="seed 000 with the tab indentation stripped: empty cells become empty lines, like the row gaps",
    )
    case0(
        "c33_single_space_rows",
        doc0(APP_HEAD + "\n" + single_spaced(grid0)),
        note="a WeChat/article copy: label then its numbers, all separated by single spaces",
    )
    wrapped = []
    for row in grid0:
        for cell in row:
            while len(cell) > 14:
                wrapped.append(cell[:14])
                cell = cell[14:]
            if cell:
                wrapped.append(cell)
    case0(
        "c34_pdf_raw_wrapped_cells",
        doc0(APP_HEAD + "\n" + "\n".join(wrapped)),
        note="pdftotext without -layout: one cell per line, long labels wrapped at 14 characters, no blank lines",
    )
    no_rl = RL_HEAD + "\n2023年，本机关未发生政府信息公开行政复议、行政诉讼案件。"
    case0(
        "c35_rl_table_omitted",
        doc0(APP_0, rl=no_rl),
        drop=tuple(k for k in C0 if k.startswith("rl.")),
        rules={"table.missing"},
        note="table 四 not printed (prose says none happened): table.missing for rl",
    )
    md = sections_doc(pandoc_grid, grid0)
    case0("c36_pandoc_grid_tables", md, ext="md", note="pandoc grid tables (+---+ borders) from a .docx")

    def commas(key: str, value: object) -> str:
        return f"{value:,}"

    case0(
        "c37_thousands_commas_tab",
        doc0(
            APP_HEAD + "\n" + b.tabbed(b.app_grid(with_cells(BIG), fmt_value=commas)),
            prose=PROSE0.replace("办结依申请公开申请9件", "办结依申请公开申请1,209件"),
        ),
        changes=BIG,
        note="tab rows with 1,209-style numbers; prose 1,209",
    )
    word = []
    for row in grid0[3:]:
        tds = "".join(
            f'<td width="40" valign="top" style="border:solid windowtext 1.0pt"><p class="MsoNormal" '
            f'align="center"><span lang="EN-US" style="font-size:10.5pt">{html.escape(c) or "&nbsp;"}'
            f"<o:p></o:p></span></p></td>"
            for c in row
        )
        word.append(f"<tr>{tds}</tr>")
    word_head = (
        '<tr><td colspan="3"><p class="MsoNormal"><span>'
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
        '</span></p></td><td colspan="7"><p>申请人情况</p></td></tr><tr><td colspan="3"></td><td><p>自然人</p></td>'
        '<td colspan="5"><p>法人或其他组织</p></td><td><p>总计</p></td></tr><tr><td colspan="3"></td><td></td>'
        + "".join(f"<td><p>{h}</p></td>" for h in b.ORG_HEADS)
        + "<td></td></tr>"
    )
    word_doc = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><body lang="ZH-CN">'
        '<p class="MsoNormal" align="center"><b><span>'
        "北京市城市管理综合行政执法局2023年政府信息公开工作年度报告</span></b></p>\n"
        + paragraphs(PROSE0)
        + f"\n<p><b>{A20_HEAD}</b></p>\n"
        + b.html_table(b.a20_grid(C0))
        + '\n<p><b>三、收到和处理政府信息公开申请情况</b></p>\n<table class="MsoTableGrid" border="1">'
        + word_head
        + "\n".join(word)
        + "</table>\n<p><b>四、政府信息公开行政复议、行政诉讼情况</b></p>\n"
        + b.html_table(b.rl_grid(C0))
        + "\n"
        + paragraphs(TAIL0)
        + "</body></html>"
    )
    case0(
        "c38_word_html_nbsp",
        word_doc,
        ext="html",
        note="Word 'Save as HTML': MsoNormal <p><span> in cells, <o:p>, &nbsp; in empty label cells",
    )
    inj = {"rl.litigation_direct.total": 1}
    case0(
        "c39_inject_rl_rows",
        doc0(APP_0, rl=rl_rows(with_cells(inj))),
        changes=inj,
        note="table 四 as three rows; litigation_direct total 0 -> 1 (rl.group_sum)",
    )
    inj = {"app.rejected_complaint.total": 2}
    case0(
        "c40_inject_in_html",
        html_page(report_html(app_html(with_cells(inj)), cells=C0, prose=PROSE0, strong=True)),
        ext="html",
        changes=inj,
        note="CMS HTML with app.rejected_complaint.total 1 -> 2 (app.row_sum, app.results_sum total)",
    )
    inject_case(
        "c41_inject_in_pdf_layout",
        {"app.unable_not_held.natural": 6, "app.unable_not_held.total": 6},
        b.pdf_layout,
        note="pdf layout; unable_not_held 7 -> 6 in natural and total (app.results_sum)",
    )
    t3, g3 = seed("003")
    t3_app = "\n".join(t3.split("\n")[86:348])
    new_app = APP_HEAD + "\n" + b.tabbed(b.app_grid(g3["cells"], version="2019"))
    case(
        "c42_2019_tab_rows",
        "txt",
        t3.replace(t3_app, new_app),
        "003",
        note="seed 003 (2019 template, single （六）其他处理 row) with table 三 as tab rows",
    )
    title = "2023年度北京市城市管理综合行政执法局政府信息公开工作年度报告\n"
    case0(
        "c43_year_first_title",
        doc0(APP_0, title=title),
        note="title with the year before the agency: 2023年度北京市…局政府信息公开工作年度报告",
    )
    inj_prose = PROSE0.replace("正在办理1件", "正在办理1件。全年共收到政府信息公开申请12件")
    case0(
        "c44_narrative_received_sentence",
        doc0(APP_0, prose=inj_prose),
        rules={"narrative.mismatch"},
        note="prose adds 全年共收到政府信息公开申请12件; app.new.total is 10",
    )
    variants = {"total": "（七）合计", "carried_forward": "四、结转下年度继续办理数量"}
    case0(
        "c45_heji_label",
        doc0(APP_HEAD + "\n" + web_seed(b.app_grid(C0, labels=variants))),
        note="seed layout with （七）合计 for 总计 and 结转下年度继续办理数量",
    )
    t4 = RL_HEAD + "\n" + "\n".join(["\t".join(r) for r in b.rl_grid(C0)[:3]]) + "\n" + "   ".join(b.rl_grid(C0)[3])
    case0(
        "c46_rl_values_space_separated",
        doc0(APP_0, rl=t4),
        note="table 四 header as tab rows, its 15 values on one line separated by spaces",
    )

    rich_cases()
    hard_cases()
    prose_cases()
    layout_cases()
    cases_2019()
    more_layouts()
    wording_cases()
    last_cases()
    html_and_pdf_cases()
    heading_cases()


def rich_changes() -> dict:  # type: ignore[type-arg]
    """Distinct non-zero values in every column, balanced: a column swap cannot hide behind zeros."""
    results = {
        "granted": [5, 2, 1, 0, 1, 0],
        "partial": [2, 1, 0, 1, 0, 0],
        "denied_secret": [0, 0, 0, 0, 0, 0],
        "denied_law": [1, 0, 0, 0, 0, 0],
        "denied_safety": [0, 1, 0, 0, 0, 0],
        "denied_third_party": [2, 0, 0, 0, 0, 1],
        "denied_internal": [0, 0, 1, 0, 0, 0],
        "denied_process": [1, 0, 0, 0, 0, 0],
        "denied_enforcement": [0, 0, 0, 1, 0, 0],
        "denied_query": [0, 0, 0, 0, 1, 0],
        "unable_not_held": [7, 3, 0, 0, 0, 2],
        "unable_create": [0, 1, 0, 0, 0, 0],
        "unable_unclear": [3, 0, 0, 0, 0, 0],
        "rejected_complaint": [4, 0, 0, 0, 0, 0],
        "rejected_repeat": [2, 0, 0, 0, 0, 0],
        "rejected_publication": [0, 0, 0, 0, 0, 1],
        "rejected_excessive": [1, 0, 0, 0, 0, 0],
        "rejected_confirm": [0, 0, 0, 0, 1, 0],
        "other_overdue_correction": [3, 1, 0, 0, 0, 0],
        "other_overdue_fee": [0, 0, 0, 0, 0, 0],
        "other_other": [1, 0, 0, 1, 0, 0],
    }
    new, carried = [40, 9, 3, 4, 5, 6], [2, 1, 0, 0, 0, 0]
    total = [sum(v[i] for v in results.values()) for i in range(6)]
    forward = [n + c - t for n, c, t in zip(new, carried, total, strict=True)]
    assert min(forward) >= 0
    rows = results | {"new": new, "carried_over": carried, "total": total, "carried_forward": forward}
    out: dict = {}  # type: ignore[type-arg]
    for row, values in rows.items():
        for col, v in zip(b.COLS, [*values, sum(values)], strict=True):
            out[f"app.{row}.{col}"] = v
    for group, values in {
        "reconsideration": [1, 2, 0, 1],
        "litigation_direct": [0, 1, 1, 0],
        "litigation_after": [2, 0, 0, 1],
    }.items():
        for col, v in zip(b.RL_COLS, [*values, sum(values)], strict=True):
            out[f"rl.{group}.{col}"] = v
    out |= {
        "a20.regulations.issued": 1,
        "a20.regulations.repealed": 2,
        "a20.regulations.in_force": 3,
        "a20.normative_docs.issued": 4,
        "a20.normative_docs.repealed": 5,
        "a20.normative_docs.in_force": 16,
        "a20.licensing.decisions": 563,
        "a20.punishment.decisions": 30,
        "a20.coercion.decisions": 7,
        "a20.fees.amount": 1.5,
    }
    return out


RICH = rich_changes()
CR = C0 | RICH
PROSE_R = PROSE0.replace(
    "办结依申请公开申请9件、正在办理1件",
    f"办结依申请公开申请{CR['app.total.total']}件、正在办理{CR['app.carried_forward.total']}件",
)


def doc_r(
    app: str | None = None,
    *,
    a20: str | None = None,
    rl: str | None = None,
    title: str = TITLE0,
    prose: str = PROSE_R,
    tail: str = TAIL0,
) -> str:
    """Seed 000's text with the rich values; a section not given is printed in the seed web layout."""
    app = app or APP_HEAD + "\n" + web_seed(b.app_grid(CR))
    a20 = a20 or A20_HEAD + "\n" + web_seed(b.a20_grid(CR))
    rl = rl or RL_HEAD + "\n" + web_seed(b.rl_grid(CR))
    return doc0(app, a20=a20, rl=rl, prose=prose, title=title, tail=tail)


def rich_case(name: str, text: str, *, changes: dict = RICH, **kw: Any) -> None:  # type: ignore[type-arg]
    """A case on seed 000 with the rich values."""
    case0(name, text, changes=changes, **kw)


def report_html(
    app: str,
    *,
    cells: dict = CR,  # type: ignore[type-arg]
    prose: str = PROSE_R,
    strong: bool = False,
    cms: bool = True,
    a20: str | None = None,
    rl: str | None = None,
    heads: tuple[str, str, str] = (A20_HEAD, APP_HEAD, RL_HEAD),
    title: str = H1_0,
    tail: str = TAIL0,
) -> str:
    """The report as HTML: <h1> title, prose paragraphs, then each section heading (<p>, bold with `strong`) and
    its table; tables 二 and 四 are `b.html_table` tables of `cells` unless given, table 三 is `app`."""
    a20 = a20 or b.html_table(b.a20_grid(cells), cms=cms)
    rl = rl or b.html_table(b.rl_grid(cells), cms=cms)
    heading = "<p><strong>{}</strong></p>" if strong else "<p>{}</p>"
    parts = [f"<h1>{title}</h1>", paragraphs(prose)]
    for head, table in zip(heads, (a20, app, rl), strict=True):
        parts += [heading.format(head), table]
    return "\n".join(parts) + "\n" + paragraphs(tail)


def rich_cases() -> None:
    grid = b.app_grid(CR)
    note = " (rich values: distinct non-zero numbers in every column)"
    rich_case("c47_rich_seed_layout", doc_r(), note="seed web layout" + note)
    rich_case(
        "c48_rich_cms_no_blank",
        doc_r(
            APP_HEAD + "\n" + b.web_no_blank(grid),
            a20=A20_HEAD + "\n" + b.web_no_blank(b.a20_grid(CR)),
            rl=RL_HEAD + "\n" + b.web_no_blank(b.rl_grid(CR)),
        ),
        note="each non-empty cell on its own line, no blank lines (all three tables)" + note,
    )
    rich_case(
        "c49_rich_total_first",
        doc_r(APP_HEAD + "\n" + b.tabbed(b.app_grid(CR, cols=("total", *b.COLS[:-1])))),
        note="tab rows, 总计 column first" + note,
    )
    rich_case(
        "c50_rich_pdf_layout",
        doc_r(APP_HEAD + "\n" + b.pdf_layout(grid)),
        note="pdftotext -layout, wide labels, single-spaced numbers" + note,
    )
    rich_case(
        "c51_rich_html_cms", html_page(report_html(app_html(CR), strong=True)), ext="html", note="CMS HTML" + note
    )
    rich_case(
        "c52_rich_single_space_rows",
        doc_r(APP_HEAD + "\n" + single_spaced(grid)),
        note="label and numbers separated by single spaces" + note,
    )
    md = sections_doc(b.markdown, grid, cells=CR, prose=PROSE_R, head="**{}**")
    rich_case("c53_rich_markdown", md, ext="md", note="Markdown pipe tables" + note)
    rich_case("c54_rich_rl_three_rows", doc_r(rl=rl_rows(CR)), note="table 四 as three labelled rows" + note)
    rl_t = (
        RL_HEAD
        + "\n\t行政复议\t行政诉讼（未经复议直接起诉）\t行政诉讼（复议后起诉）\n"
        + "\n".join(
            f"{label}\t" + "\t".join(str(CR[f"rl.{g}.{c}"]) for g in b.RL_GROUPS)
            for label, c in (
                ("结果维持", "upheld"),
                ("结果纠正", "corrected"),
                ("其他结果", "other"),
                ("尚未审结", "pending"),
                ("总计", "total"),
            )
        )
    )
    rich_case(
        "c55_rich_rl_transposed",
        doc_r(rl=rl_t),
        note="table 四 transposed: one row per result (结果维持…总计), one column per group" + note,
    )


def hard_cases() -> None:
    grid = b.app_grid(CR)
    # HTML: caption instead of a heading paragraph.
    caption = app_html(CR).replace(
        '<table class="MsoNormalTable" border="1">',
        '<table border="1"><caption>三、收到和处理政府信息公开申请情况</caption>',
    )
    page = html_page(
        f"<h1>{H1_0}</h1>\n"
        + paragraphs(PROSE_R)
        + f'\n<table border="1"><caption>{A20_HEAD}</caption>'
        + b.html_table(b.a20_grid(CR)).split(">", 1)[1]
        + "\n"
        + caption
        + f'\n<table border="1"><caption>{RL_HEAD}</caption>'
        + b.html_table(b.rl_grid(CR)).split(">", 1)[1]
        + "\n"
        + paragraphs(TAIL0)
    )
    rich_case(
        "c56_html_captions",
        page,
        ext="html",
        note="HTML tables titled by <caption> (no heading paragraphs)",
    )
    inner = report_html(app_html(CR, cms=False), cms=False)
    layout = (
        '<html><body><table width="1000" class="layout"><tr><td class="left"><ul><li><a href="/">首页</a></li>'
        '<li><a href="/zwgk">政务公开</a></li></ul></td><td class="main">\n'
        + inner
        + '\n</td></tr><tr><td colspan="2">第1页 共1页 版权所有</td></tr></table></body></html>'
    )
    rich_case(
        "c57_html_layout_table",
        layout,
        ext="html",
        note="an old CMS: the whole page sits inside a layout <table>; the report's tables are nested in a <td>",
    )
    ideo = ["".join(c for c in row[:3] if c) + "\u3000" + "\u3000".join(row[3:]) for row in grid[3:]]
    head = b.APP_NOTE + "\n自然人\u3000商业企业\u3000科研机构\u3000社会公益组织\u3000法律服务机构\u3000其他\u3000总计"
    rich_case(
        "c58_ideographic_single_spaces",
        doc_r(APP_HEAD + "\n" + head + "\n" + "\n".join(ideo)),
        note="cells separated by one ideographic space U+3000",
    )

    def jian(key: str, value: object) -> str:
        return f"{value}件"

    rich_case(
        "c59_numbers_with_jian",
        doc_r(APP_HEAD + "\n" + b.tabbed(b.app_grid(CR, fmt_value=jian))),
        note="tab rows; every table 三 number printed with 件 (9件)",
    )
    title = "北京市城市管理综合行政执法局政府信息公开工作年度报告（2023年度）"
    rich_case(
        "c60_year_in_parentheses",
        doc_r(title=title),
        note="title with the year in parentheses at the end",
    )
    t3, _g3 = seed("003")
    no_year = t3.replace("2020年政府信息公开工作年度报告", "政府信息公开工作年度报告", 1).replace(
        "2021年1月25日", "2022年1月20日"
    )
    no_year = no_year.replace(
        "一、总体情况\n", "一、总体情况\n2021年，我局认真贯彻落实《中华人民共和国政府信息公开条例》。\n", 1
    )
    case(
        "c61_outdated_year_only_in_prose",
        "txt",
        no_year,
        "003",
        rules={"template.outdated"},
        status="accepted",
        meta={"agency": "沙河市城市管理综合行政执法局", "year": 2021, "template": "2019"},
        note="no year in the title; the prose says 2021 and the report is dated 2022-01-20; 2019 tables",
    )
    with_other = CR | {
        "app.other.natural": 4,
        "app.other.commercial": 1,
        "app.other.research": 0,
        "app.other.nonprofit": 1,
        "app.other.legal": 0,
        "app.other.other_org": 0,
        "app.other.total": 6,
    }
    app19 = b.app_grid(with_other, version="2019")
    cells19 = {k: v for k, v in with_other.items() if not any(f".{o}." in k for o in b.OTHER21)}
    text = doc_r(APP_HEAD + "\n" + web_seed(app19))
    path = b.HERE / "c62_mixed_2021_a20_2019_app.txt"
    path.write_text(text, encoding="utf-8")
    b.CASES.append(
        {
            "file": path.name,
            "base": "000",
            "note": "2023 report: 2021 table 二 beside a 2019 table 三 "
            "(single （六）其他处理 row = sum of the rich other_* rows)",
            "changes": RICH,
            "drop": [],
            "cells": cells19,
            "status": "accepted",
            "rules": ["template.outdated"],
            "meta": {"agency": "北京市城市管理综合行政执法局", "year": 2023, "template": "2019"},
        }
    )
    amount = doc_r().replace("\t行政事业性收费\n\t1.5", "\t行政事业性收费\n\t15000元")
    assert "15000元" in amount
    rich_case("c63_fee_in_yuan", amount, note="fees printed 15000元 (=1.5 万元)")
    centred = []
    for row in grid[3:]:
        label = "".join(c for c in row[:3] if c)
        numbers = " ".join(row[3:])
        if len(label) > 16:
            centred += [label[:16], label[16:] + " " * max(2, 60 - b._w(label[16:])) + numbers]
        else:
            centred.append(label + " " * max(2, 60 - b._w(label)) + numbers)
    pdf_head = b.pdf_layout(grid).split("\n")[:4]
    rich_case(
        "c64_pdf_numbers_on_last_label_line",
        doc_r(APP_HEAD + "\n" + "\n".join(pdf_head + centred)),
        note="pdftotext -layout with numbers on the wrapped label's second line (vertically centred)",
    )
    running = b.tabbed(grid).split("\n")
    running = [*running[:12], "北京市城市管理综合行政执法局2023年政府信息公开工作年度报告", "3", *running[12:]]
    rich_case(
        "c65_running_header_in_table",
        doc_r(APP_HEAD + "\n" + "\n".join(running)),
        note="PDF running header (report title) and a bare page number '3' between two rows of table 三",
    )

    rich_case(
        "c66_blank_cell_web",
        doc_r(APP_HEAD + "\n" + web_seed(b.app_grid(CR, fmt_value=blank_cell("app.partial.research")))),
        drop=("app.partial.research",),
        rules={"table.incomplete"},
        note="seed web layout, app.partial.research printed blank (an empty tab line)",
    )
    blank = app_html(CR).replace('<span style="font-size:14px;">12</span>', '<span style="font-size:14px;"></span>', 1)
    rich_case(
        "c67_blank_cell_html",
        html_page(report_html(blank)),
        ext="html",
        drop=("app.unable_not_held.total",),
        rules={"table.incomplete"},
        note="CMS HTML, app.unable_not_held.total (12) printed as an empty cell",
    )


def prose_cases() -> None:
    t1, _ = seed("001")
    case(
        "c68_narrative_chinese_numeral",
        "txt",
        t1.replace("全年共接收依申请公开5件", "全年共接收依申请公开六件"),
        "001",
        rules={"narrative.mismatch"},
        note="prose states the count in Chinese numerals (六件) against a table of 5",
    )
    consult = PROSE_R.replace("正在办理", "另通过电话、网站等渠道收到政府信息公开咨询36件；正在办理", 1)
    rich_case(
        "c69_narrative_consultations",
        doc_r(prose=consult),
        note="prose mentions 收到政府信息公开咨询36件 (consultations, not applications): consistent",
    )
    proposals = PROSE_R.replace("正在办理", "全年共办理建议提案公开28件；正在办理", 1)
    rich_case(
        "c70_narrative_proposals",
        doc_r(prose=proposals),
        note="prose mentions 办理建议提案公开28件 (not applications): consistent",
    )


def layout_cases() -> None:
    grid = [row for row in b.app_grid(CR) if row[2] != "8.属于行政查询事项"]
    drop = tuple(f"app.denied_query.{c}" for c in b.COLS)
    rich_case(
        "c71_row_omitted",
        doc_r(APP_HEAD + "\n" + b.tabbed(grid)),
        drop=drop,
        rules={"table.incomplete"},
        note="tab rows; the agency's table leaves out row 8.属于行政查询事项",
    )
    md_grid = b.app_grid(CR)
    md_grid = [[f"**{c}**" if c and (row[1] == "（七）总计") else c for c in row] for row in md_grid]
    rich_case(
        "c72_markdown_bold_total_row",
        sections_doc(b.markdown, md_grid, cells=CR, prose=PROSE_R, head="## {}"),
        ext="md",
        note="Markdown with the （七）总计 row in bold, numbers included (**24**)",
    )
    rep = []
    group = top = ""
    for row in b.app_grid(CR)[3:]:
        top = row[0] or (top if not row[0] and row[1] else "")
        group = row[1] if row[1] else (group if row[2] else "")
        rep.append([top if (row[1] or row[2]) else row[0], group if row[2] else row[1], row[2], *row[3:]])
    rich_case(
        "c73_repeated_group_labels",
        doc_r(APP_HEAD + "\n" + b.tabbed(b.app_grid(CR)[:3] + rep)),
        note="tab rows; merged group cells exported as the group label repeated on every row",
    )
    pdf_a20 = [A20_HEAD]
    for article, heads, items, columns in b.A20_2021:
        pdf_a20.append("                    " + article)
        pdf_a20.append("   " + "        ".join(heads))
        for label, item in items:
            pdf_a20.append(
                "   "
                + label
                + " " * (16 - b._w(label))
                + "".join(str(CR[f"a20.{item}.{c}"]).center(16) for c in columns)
            )
    rl_pdf = [
        RL_HEAD,
        "                 行政复议                                              行政诉讼",
        "                                               未经复议直接起诉                    复议后起诉",
        "  结果  结果  其他  尚未  总计     结果  结果  其他  尚未  总计     结果  结果  其他  尚未  总计",
        "  维持  纠正  结果  审结           维持  纠正  结果  审结           维持  纠正  结果  审结",
        "".join(
            str(CR[f"rl.{g}.{c}"]).center(6) + ("   " if c == "total" else "") for g in b.RL_GROUPS for c in b.RL_COLS
        ),
    ]
    rich_case(
        "c74_pdf_layout_all_tables",
        doc_r(APP_HEAD + "\n" + b.pdf_layout(b.app_grid(CR)), a20="\n".join(pdf_a20), rl="\n".join(rl_pdf)),
        note="pdftotext -layout for all three tables; table 四 header wrapped over two lines",
    )
    text = doc_r(
        APP_HEAD.replace("收到和处理政府信息公开申请情况", "依申请公开情况") + "\n" + web_seed(b.app_grid(CR)),
        a20="二、主动公开情况\n" + web_seed(b.a20_grid(CR)),
        rl="四、行政复议、行政诉讼情况\n" + web_seed(b.rl_grid(CR)),
    )
    rich_case(
        "c75_short_section_titles",
        text,
        note="section titles shortened: 二、主动公开情况 / 三、依申请公开情况 / 四、行政复议、行政诉讼情况",
    )
    page = html_page(report_html(app_html(CR))).replace(
        '<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    )
    rich_case(
        "c76_html_gb2312",
        page,
        ext="html",
        encoding="gb18030",
        note="CMS HTML page served in GB2312/GB18030 with a meta charset",
    )


A20_2019 = [
    (
        "第二十条第（一）项",
        ("信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"),
        [("规章", "regulations"), ("规范性文件", "normative_docs")],
        ("made", "published", "total_public"),
    ),
    (
        "第二十条第（五）项",
        ("信息内容", "上一年项目数量", "本年增/减", "处理决定数量"),
        [("行政许可", "licensing"), ("其他对外管理服务事项", "other_services")],
        ("prev_items", "change", "decisions"),
    ),
    (
        "第二十条第（六）项",
        ("信息内容", "上一年项目数量", "本年增/减", "处理决定数量"),
        [("行政处罚", "punishment"), ("行政强制", "coercion")],
        ("prev_items", "change", "decisions"),
    ),
    (
        "第二十条第（八）项",
        ("信息内容", "上一年项目数量", "本年增/减"),
        [("行政事业性收费", "fees")],
        ("prev_items", "change"),
    ),
    (
        "第二十条第（九）项",
        ("信息内容", "采购项目数量", "采购总金额"),
        [("政府集中采购", "procurement")],
        ("items", "amount"),
    ),
]


def rich19() -> tuple[dict, dict]:  # type: ignore[type-arg]
    """(changes to gold 003, full expected cells): rich table 三 (2019 rows), 四 and a 2019 table 二."""
    _, g3 = seed("003")
    other = [4, 1, 0, 1, 0, 0]
    app = {k: v for k, v in RICH.items() if k.startswith("app.") and not any(f".{o}." in k for o in b.OTHER21)}
    app |= {f"app.other.{c}": v for c, v in zip(b.COLS, [*other, sum(other)], strict=True)}
    rl = {k: v for k, v in RICH.items() if k.startswith("rl.")}
    a20 = {
        "a20.regulations.made": 1,
        "a20.regulations.published": 1,
        "a20.regulations.total_public": 9,
        "a20.normative_docs.made": 3,
        "a20.normative_docs.published": 2,
        "a20.normative_docs.total_public": 41,
        "a20.licensing.prev_items": 52,
        "a20.licensing.change": 3,
        "a20.licensing.decisions": 1204,
        "a20.other_services.prev_items": 17,
        "a20.other_services.change": -2,
        "a20.other_services.decisions": 88,
        "a20.punishment.prev_items": 181,
        "a20.punishment.change": -5,
        "a20.punishment.decisions": 12,
        "a20.coercion.prev_items": 7,
        "a20.coercion.change": 0,
        "a20.coercion.decisions": 6,
        "a20.fees.prev_items": 6095,
        "a20.fees.change": -1043,
        "a20.procurement.items": 5,
        "a20.procurement.amount": 7249.4746,
    }
    changes = app | rl | a20
    return changes, g3["cells"] | changes


CH19, C19 = rich19()


def a20_grid_19(cells: dict, change: str = "减") -> list[list[str]]:  # type: ignore[type-arg]
    grid: list[list[str]] = []
    for article, heads, items, columns in A20_2019:
        grid.append([article, "", "", ""])
        grid.append([*heads, *[""] * (4 - len(heads))])
        for label, item in items:
            values = []
            for c in columns:
                v = cells[f"a20.{item}.{c}"]
                if c == "change" and v < 0:
                    values.append(f"{change}{-v}")
                elif c == "amount":
                    values.append(f"{v}万元")
                else:
                    values.append(str(v))
            grid.append([label, *values, *[""] * (3 - len(values))])
    return grid


PROSE3 = lines_of("003", 3, 13)
TAIL3 = lines_of("003", 395, 402)


def doc19(a20: str, app: str, rl: str) -> str:
    """Seed 003's text around the three tables given (each put under its section heading)."""
    title = "沙河市城市管理综合行政执法局\n2020年政府信息公开工作年度报告"
    sections = [A20_HEAD + "\n" + a20, APP_HEAD + "\n" + app, RL_HEAD + "\n" + rl]
    return "\n".join([title, PROSE3, "\n\n".join(sections), "", TAIL3]) + "\n"


def case19(name: str, text: str, *, ext: str = "txt", changes: dict = CH19, **kw: Any) -> None:  # type: ignore[type-arg]
    """A case on seed 003 with the rich 2019 values."""
    case(name, ext, text, "003", changes=changes, **kw)


def cases_2019() -> None:
    app = b.app_grid(C19, version="2019")
    case19(
        "c77_2019_rich_cms_no_blank",
        doc19(b.web_no_blank(a20_grid_19(C19)), b.web_no_blank(app), b.web_no_blank(b.rl_grid(C19))),
        note="2019 template, rich values, each non-empty cell on its own line with no blank lines",
    )
    body = report_html(
        b.html_table(app),
        cells=C19,
        a20=b.html_table(a20_grid_19(C19)),
        title="沙河市城市管理综合行政执法局2020年政府信息公开工作年度报告",
        prose=PROSE3,
        tail=TAIL3,
    )
    case19(
        "c78_2019_rich_html",
        html_page(body),
        ext="html",
        note="2019 template, rich values, CMS HTML (empty <td> for merged cells); 本年增/减 printed 减2",
    )
    case19(
        "c79_2019_rich_pdf_layout",
        doc19(b.tabbed(a20_grid_19(C19, change="-")), b.pdf_layout(app), web_seed(b.rl_grid(C19))),
        note="2019 template, rich values, table 三 in pdftotext -layout; 本年增/减 printed -2",
    )
    inj = {"app.other.natural": 5, "app.other.total": 7}
    case19(
        "c80_2019_inject_other",
        doc19(
            web_seed(a20_grid_19(C19)),
            web_seed(b.app_grid(C19 | inj, version="2019")),
            web_seed(b.rl_grid(C19)),
        ),
        changes=CH19 | inj,
        note="2019 template: （六）其他处理 natural 4 -> 5 and total 6 -> 7 (app.results_sum)",
    )
    s2t = __import__("opencc").OpenCC("s2t").convert
    case19(
        "c81_2019_traditional_tab",
        s2t(doc19(b.tabbed(a20_grid_19(C19, change="減")), b.tabbed(app), b.tabbed(b.rl_grid(C19)))),
        note="2019 template, rich values, tab rows, traditional characters (減2, 萬元)",
    )


def more_layouts() -> None:
    grid = b.app_grid(CR)
    web = web_seed(grid).split("\n")
    odd = []
    for k, line in enumerate(web):
        if line == "\t":
            odd.append("\xa0")  # a merged cell copied as a no-break space
        elif line.strip().isdigit() and k % 3 == 0:
            odd.append(line + "\u200b")  # zero-width space left by the CMS editor
        else:
            odd.append(line)
    rich_case(
        "c82_nbsp_and_zero_width",
        doc_r(APP_HEAD + "\n" + "\n".join(odd)),
        note="seed web layout; empty cells are U+00A0 lines, some numbers carry a trailing U+200B",
    )
    rl_prose = RL_HEAD + "\n本年度发生政府信息公开行政复议案件2件。\n" + web_seed(b.rl_grid(CR))
    rich_case(
        "c83_narrative_reconsideration",
        doc_r(rl=rl_prose),
        rules={"narrative.mismatch"},
        note="prose says 行政复议案件2件; table 四 reconsideration total is 4",
    )
    html_app = app_html(CR).split("\n")
    split = "\n".join(html_app[:15]) + '\n</table>\n<p>&nbsp;</p>\n<table border="1">\n' + "\n".join(html_app[15:])
    rich_case(
        "c84_html_table_split_in_two",
        html_page(report_html(split)),
        ext="html",
        note="Word-to-HTML page break: table 三 continues in a second <table> (rowspans cut)",
    )
    rows = b.tabbed(grid).split("\n")
    cont = "\n".join([*rows[:13], "", "续表", "", rows[1], rows[2], *rows[13:]])
    rich_case(
        "c85_continued_table",
        doc_r(APP_HEAD + "\n" + cont),
        note="tab rows; 续表 and the two column-header rows repeated after a page break",
    )
    mixed = [b.APP_NOTE, "申请人情况", "自然人", "法人或其他组织", "总计", *b.ORG_HEADS]
    for row in grid[3:]:
        mixed += [c for c in row[:3] if c] + [" ".join(row[3:])]
    rich_case(
        "c86_label_line_then_numbers_line",
        doc_r(APP_HEAD + "\n" + "\n".join(mixed)),
        note="PDF copy: each label cell on its own line, then the row's seven numbers on one line (single spaces)",
    )
    sub = []
    sums = {
        "（三）不予公开": b.DENIED,
        "（四）无法提供": b.UNABLE,
        "（五）不予处理": b.REJECTED,
        "（六）其他处理": b.OTHER21,
    }
    for row in grid:
        if row[1] in sums:
            totals = [str(sum(CR[f"app.{k}.{c}"] for k in sums[row[1]])) for c in b.COLS]
            sub.append([row[0], row[1], "小计", *totals])
            sub.append(["", "", *row[2:]])
        else:
            sub.append(row)
    rich_case(
        "c87_group_subtotal_rows",
        doc_r(APP_HEAD + "\n" + b.tabbed(sub)),
        note="tab rows; each group (三)…(六) prints a 小计 row with the group's sums before its sub-rows",
    )


def wording_cases() -> None:
    abbrev = {"other_overdue_correction": "1.逾期不补正", "other_overdue_fee": "2.逾期不缴费", "other_other": "3.其他"}
    rich_case(
        "c88_other_rows_abbreviated",
        doc_r(APP_HEAD + "\n" + web_seed(b.app_grid(CR, labels=abbrev))),
        note="seed web layout; the three （六） sub-rows printed as 逾期不补正 / 逾期不缴费 / 其他",
    )
    app19 = b.app_grid(C19, version="2019", labels={"other": "（六）其他"})
    case19(
        "c89_2019_other_label_short",
        doc19(web_seed(a20_grid_19(C19)), web_seed(app19), web_seed(b.rl_grid(C19))),
        note="2019 template with the single row printed （六）其他 instead of （六）其他处理",
    )
    grid = b.app_grid(CR)
    grid[1] = [c.replace("法人或其他组织", "法人或者其他组织") for c in grid[1]]
    rich_case(
        "c90_header_fa_ren_huo_zhe",
        doc_r(APP_HEAD + "\n" + web_seed(grid)),
        note="seed web layout; column group header printed 法人或者其他组织 (with 者)",
    )
    rich_case(
        "c91_header_fa_ren_huo_zhe_tab",
        doc_r(APP_HEAD + "\n" + b.tabbed(grid)),
        note="tab rows; column group header printed 法人或者其他组织",
    )
    grid2 = b.app_grid(CR)
    grid2[2] = [c.replace("其他", "其他组织") for c in grid2[2]]
    rich_case(
        "c92_header_qita_zuzhi",
        doc_r(APP_HEAD + "\n" + web_seed(grid2)),
        note="seed web layout; last organisation column headed 其他组织",
    )


def last_cases() -> None:
    grid = b.app_grid(CR, labels={"denied_law": "2.其它法律行政法规禁止公开", "other_other": "3.其它"})
    grid[2] = [c.replace("其他", "其它") for c in grid[2]]
    grid[4][1] = "（六）其它处理" if grid[4][1] == "（六）其他处理" else grid[4][1]
    grid = [[("（六）其它处理" if c == "（六）其他处理" else c) for c in row] for row in grid]
    rich_case(
        "c93_qi_ta_variant_character",
        doc_r(APP_HEAD + "\n" + web_seed(grid)),
        note="seed web layout; 其它 (它) for 其他 in the column header and in row labels",
    )
    prose = PROSE_R.replace("正在办理", "依申请公开方面，全年共收到申请70件；正在办理", 1)
    rich_case(
        "c94_narrative_short_phrase",
        doc_r(prose=prose),
        rules={"narrative.mismatch"},
        note="prose: 依申请公开方面，全年共收到申请70件 (no 公开 between 收到 and 申请); app.new.total is 67",
    )
    body = (
        report_html(
            '<p><img src="/u/2024/t3.png" alt="表3"></p>',
            a20='<p><img src="/u/2024/t2.png" alt="表2"></p>',
            rl='<p><img src="/u/2024/t4.png"></p>',
            prose=PROSE0,
            strong=True,
        )
        + '\n<div class="related"><p>相关链接</p><ul><li>2022年政府信息公开工作年度报告 2023-01-18</li>'
        "<li>2021年政府信息公开工作年度报告 2022-01-20</li></ul><p>浏览次数：</p><p>1024</p></div>"
    )
    case0(
        "c95_html_tables_as_images",
        html_page(body),
        ext="html",
        no_cells=True,
        rules={"table.missing"},
        meta={"agency": "北京市城市管理综合行政执法局", "year": 2023, "template": None},
        note="CMS page whose tables are <img>; a related-links list and a hit counter (1024) after the report",
    )
    conv = __import__("opencc").OpenCC("s2t").convert
    body = conv(
        report_html(app_html(CR), heads=tuple(h.replace("政府信息", "政府資訊") for h in (A20_HEAD, APP_HEAD, RL_HEAD)))
    )
    rich_case(
        "c96_traditional_html_zixun",
        html_page(body),
        ext="html",
        note="CMS HTML in traditional characters with 資訊 for 信息 in the headings",
    )


def aligned_pdf(cells: dict, blank: str = "") -> str:  # type: ignore[type-arg]
    """pdftotext -layout as it really prints: numbers right-aligned under their column headers."""
    heads = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    x = [50, 60, 70, 80, 92, 104, 112]  # right edge of each column (display columns)
    out = [b.APP_NOTE, " " * 70 + "申请人情况", " " * 44 + "自然人" + " " * 12 + "法人或其他组织" + " " * 30 + "总计"]
    line = ""
    for head, right in zip(heads[1:6], x[1:6], strict=True):
        line += " " * max(1, right - b._w(line) - b._w(head)) + head
    out.append(line)
    for top, group, sub, key in b.ROWS_2021:
        label = "".join(p for p in (top, group, sub) if p)
        first, rest = label[:20], label[20:]
        text = first
        for col, right in zip(b.COLS, x, strict=True):
            value = "" if f"app.{key}.{col}" == blank else str(cells[f"app.{key}.{col}"])
            text += " " * max(2, right - b._w(text) - len(value)) + value if value else ""
        out.append(text)
        while rest:
            out.append(rest[:20])
            rest = rest[20:]
    return "\n".join(out)


def html_and_pdf_cases() -> None:
    unclosed = app_html(CR, cms=False).replace("</td>", "").replace("</tr>", "")
    rich_case(
        "c97_html_unclosed_cells",
        html_page(report_html(unclosed)),
        ext="html",
        note="old CMS HTML 4: table 三 written without </td> and </tr> (valid HTML)",
    )
    big = CR | {
        "app.new.natural": CR["app.new.natural"] + 1000,
        "app.new.total": CR["app.new.total"] + 1000,
        "app.carried_forward.natural": CR["app.carried_forward.natural"] + 1000,
        "app.carried_forward.total": CR["app.carried_forward.total"] + 1000,
    }
    assert not b._broken_rules(big, "2021")
    changes = RICH | {k: v for k, v in big.items() if k not in CR or CR[k] != v}
    prose = PROSE0.replace(
        "办结依申请公开申请9件、正在办理1件", f"办结依申请公开申请53件、正在办理{big['app.carried_forward.total']}件"
    )
    rich_case(
        "c98_pdf_aligned_columns",
        doc_r(APP_HEAD + "\n" + aligned_pdf(big), prose=prose),
        changes=changes,
        note="pdftotext -layout with numbers right-aligned under their headers (4-digit values in some cells)",
    )
    rich_case(
        "c99_pdf_aligned_blank_cell",
        doc_r(APP_HEAD + "\n" + aligned_pdf(big, blank="app.denied_third_party.other_org"), prose=prose),
        changes=changes,
        drop=("app.denied_third_party.other_org",),
        rules={"table.incomplete"},
        note="as c98, with app.denied_third_party.other_org printed blank (position decides the column)",
    )


def heading_cases() -> None:
    text = doc_r(
        "三、收到和处理政府信息公开申请情况统计表（2023年1月1日至2023年12月31日）\n" + web_seed(b.app_grid(CR)),
        a20=A20_HEAD + "（截至2023年12月31日，单位：件）\n" + web_seed(b.a20_grid(CR)),
        rl="四、政府信息公开行政复议、行政诉讼情况统计表（2023年度，单位：件）\n" + web_seed(b.rl_grid(CR)),
    )
    rich_case(
        "c100_long_table_headings",
        text,
        note="section headings carry a long suffix: 统计表（2023年1月1日至2023年12月31日）",
    )
    tail = (
        "五、存在的主要问题和改进措施\n一是政策解读形式还有待创新。二是政务网站便民服务功能有待完善。\n\n"
        "六、其他需报告的事项\n本机关2023年度收取信息处理费情况如下：\n\n\t发出收费通知的件数\n\n\t0\n\n"
        "\t总金额（元）\n\n\t0\n\n\t实际收取的总金额（元）\n\n\t0\n"
    )
    text = doc_r(tail=tail)
    rich_case(
        "c101_section_titles_reworded_fee_table",
        text,
        note="五、存在的主要问题和改进措施 / 六、其他需报告的事项 (reworded); 六 prints a fee table (0, 0, 0)",
    )
    th = app_html(CR, cms=False).replace("<td", "<th", 3 + 3 + 5).replace("</td>", "</th>", 11)
    rich_case(
        "c102_html_th_header",
        html_page(report_html(th)),
        ext="html",
        note="CMS HTML with the header rows of table 三 in <th> cells",
    )


if __name__ == "__main__":
    for old in b.HERE.glob("c[0-9][0-9]_*"):
        old.unlink()
    build_all()
    (b.HERE / "expected.json").write_text(json.dumps(b.CASES, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(b.CASES)} cases written")
