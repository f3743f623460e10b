"""Synthetic 政府信息公开工作年度报告 (annual disclosure reports) for tests.

Property tests and benchmarks need many reports whose true cell values are
known.  ``random_report`` draws balanced figures (every balance rule of
/work/shared/spec/README.md holds), ``render`` prints them in one of the text
layouts real documents arrive in, with the noise they carry, ``gold_cells``
says what a perfect parser must read back, and ``perturb`` changes one printed
number so that a named rule breaks.

Stdlib only, deterministic for a given ``random.Random``.  Look at one report
with ``python tests/synth.py --seed 3 --layout space``.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field, replace

LAYOUTS = ("cell_per_line", "tab", "space", "markdown", "html")


def suffix(layout: str) -> str:
    """The file suffix a report in ``layout`` is saved under, as it would be published."""
    return {"html": ".html", "markdown": ".md"}.get(layout, ".txt")


APPLICANTS = ("natural", "commercial", "research", "nonprofit", "legal", "other_org")
APP_COLS = (*APPLICANTS, "total")
DENIED = (
    "denied_secret",
    "denied_law",
    "denied_safety",
    "denied_third_party",
    "denied_internal",
    "denied_process",
    "denied_enforcement",
    "denied_query",
)
UNABLE = ("unable_not_held", "unable_create", "unable_unclear")
REJECTED = ("rejected_complaint", "rejected_repeat", "rejected_publication", "rejected_excessive", "rejected_confirm")
OTHER_2021 = ("other_overdue_correction", "other_overdue_fee", "other_other")
RL_GROUPS = ("reconsideration", "litigation_direct", "litigation_after")
RL_COLS = ("upheld", "corrected", "other", "pending", "total")
# Prose facts that restate a table cell; proactive_items has no table twin.
NARRATIVE_CELLS = {
    "applications_received": "app.new.total",
    "applications_closed": "app.total.total",
    "applications_pending": "app.carried_forward.total",
}

# Table 三 labels (2021 wording) per numbering level; the position in each tuple
# is the printed number: 一、二、… for "top", （一）（二）… for "paren", 1. 2. … below.
_LABEL_TEXTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "top": (
        ("new", "carried_over", "results", "carried_forward"),
        ("本年新收政府信息公开申请数量", "上年结转政府信息公开申请数量", "本年度办理结果", "结转下年度继续办理"),
    ),
    "paren": (
        ("granted", "partial", "denied", "unable", "rejected", "other", "total"),
        (
            "予以公开",
            "部分公开（区分处理的，只计这一情形，不计其他情形）",
            "不予公开",
            "无法提供",
            "不予处理",
            "其他处理",
            "总计",
        ),
    ),
    "denied": (
        DENIED,
        (
            "属于国家秘密",
            "其他法律行政法规禁止公开",
            "危及“三安全一稳定”",
            "保护第三方合法权益",
            "属于三类内部事务信息",
            "属于四类过程性信息",
            "属于行政执法案卷",
            "属于行政查询事项",
        ),
    ),
    "unable": (UNABLE, ("本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确")),
    "rejected": (
        REJECTED,
        (
            "信访举报投诉类申请",
            "重复申请",
            "要求提供公开出版物",
            "无正当理由大量反复申请",
            "要求行政机关确认或重新出具已获取信息",
        ),
    ),
    "other": (
        OTHER_2021,
        (
            "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            "其他",
        ),
    ),
}
# key -> (numbering kind, number, text)
LABELS: dict[str, tuple[str, int, str]] = {
    key: (kind if kind in ("top", "paren") else "arabic", i, text)
    for kind, (keys, texts) in _LABEL_TEXTS.items()
    for i, (key, text) in enumerate(zip(keys, texts, strict=True), 1)
}
_VARIANTS = {
    "本年新收政府信息公开申请数量": ("本年新收政府信息公开申请数",),
    "上年结转政府信息公开申请数量": ("上年结转政府信息公开申请数",),
    "部分公开（区分处理的，只计这一情形，不计其他情形）": (
        "部分公开",
        "部分公开(区分处理的,只计这一情形,不计其他情形)",
    ),
    "危及“三安全一稳定”": ('危及"三安全一稳定"', "危及三安全一稳定"),
    "行政规范性文件": ("规范性文件",),
    "本年收费金额（单位：万元）": ("本年收费金额(单位:万元)", "本年收费金额"),
    "本年增/减": ("本年增／减", "本年增减"),
    "结转下年度继续办理": ("结转下年度继续办理数",),
    "政府集中采购": ("政府集中采购项目",),
}
_HOMOPHONES = (
    ("掌握", "张我"),
    ("申请", "申清"),
    ("公开", "公凯"),
    ("结转", "结传"),
    ("予以", "于以"),
    ("信息", "信急"),
    ("处理", "处里"),
    ("政府", "政付"),
)
_TYPO_TARGETS = tuple(t for _, _, t in LABELS.values() if len(t) >= 5)
# Table 二 per template: (article item, column headers, (item key, label) rows, column keys).
_A20Section = tuple[str, tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...]]
_DECIDE_2019 = ("上一年项目数量", "本年增/减", "处理决定数量")
A20_LAYOUT: dict[str, tuple[_A20Section, ...]] = {
    "2021": (
        (
            "一",
            ("本年制发件数", "本年废止件数", "现行有效件数"),
            (("regulations", "规章"), ("normative_docs", "行政规范性文件")),
            ("issued", "repealed", "in_force"),
        ),
        ("五", ("本年处理决定数量",), (("licensing", "行政许可"),), ("decisions",)),
        ("六", ("本年处理决定数量",), (("punishment", "行政处罚"), ("coercion", "行政强制")), ("decisions",)),
        ("八", ("本年收费金额（单位：万元）",), (("fees", "行政事业性收费"),), ("amount",)),
    ),
    "2019": (
        (
            "一",
            ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
            (("regulations", "规章"), ("normative_docs", "规范性文件")),
            ("made", "published", "total_public"),
        ),
        (
            "五",
            _DECIDE_2019,
            (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")),
            ("prev_items", "change", "decisions"),
        ),
        (
            "六",
            _DECIDE_2019,
            (("punishment", "行政处罚"), ("coercion", "行政强制")),
            ("prev_items", "change", "decisions"),
        ),
        ("八", _DECIDE_2019[:2], (("fees", "行政事业性收费"),), ("prev_items", "change")),
        ("九", ("采购项目数量", "采购总金额"), (("procurement", "政府集中采购"),), ("items", "amount")),
    ),
}
_CN = "一二三四五六七八九十"
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Simplified -> traditional, char by char, for the characters this module
# prints (海淀 keeps 淀); generated once with OpenCC s2tw and kept injective so
# a parser can map back.
_TRAD_PAIRS = (
    "万萬业業为為举舉义義习習乡鄉于於会會传傳体體关關内內农農决決况況减減凯凱划劃创創办辦务務动動区區华華单單卫衛发發后後员員"
    "国國图圖场場坚堅处處复復实實审審对對导導将將属屬广廣庆慶应應废廢开開张張强強当當录錄彻徹态態总總户戶执執护護报報挥揮据據"
    "数數无無时時机機权權条條来來构構毕畢汉漢没沒济濟游遊滨濱环環现現监監确確称稱稳穩简簡类類纠糾纳納组組织織经經结結统統继繼"
    "续續维維综綜编編缴繳网網罚罰苏蘇范範获獲补補见見规規计計认認训訓议議许許讼訟设設访訪诉訴询詢请請读讀财財质質购購贯貫费費"
    "资資转轉输輸过過运運还還这這进進郑鄭采採里裡长長门門问問间間阳陽际際页頁项項题題额額东東汇匯"
)
_TRAD = str.maketrans(_TRAD_PAIRS[0::2], _TRAD_PAIRS[1::2])
# City -> districts that really belong to it ("" = a city-level body).
_PLACES = {
    "北京市": ("通州区", "海淀区", "朝阳区", ""),
    "上海市": ("浦东新区", "徐汇区", ""),
    "天津市": ("和平区", ""),
    "重庆市": ("江北区", ""),
    "杭州市": ("西湖区", ""),
    "成都市": ("武侯区", ""),
    "西安市": ("雁塔区", ""),
    "新乡市": ("卫滨区", ""),
    "沙河市": ("",),
    "长沙市": ("",),
    "郑州市": ("",),
    "济南市": ("",),
}
_BODIES = (
    "市场监督管理局",
    "城市管理局",
    "城市管理综合行政执法局",
    "生态环境局",
    "住房和城乡建设委员会",
    "人民政府办公室",
    "交通运输局",
    "教育局",
    "卫生健康委员会",
    "自然资源和规划局",
    "财政局",
    "民政局",
    "司法局",
    "应急管理局",
    "农业农村局",
    "文化和旅游局",
    "人民政府",
    "城市管理指挥中心",
)


@dataclass
class SynthReport:
    """One report's true content; ``render`` turns it into text."""

    agency: str
    year: int
    template_a20: str
    template_app: str
    cells: dict[str, int | float]
    narrative: dict[str, int]
    blanks: frozenset[str] = frozenset()
    tables_as_images: bool = False


def result_rows(template: str) -> tuple[str, ...]:
    """Table 三 result rows (the ones summed into ``total``) for a template."""
    other = OTHER_2021 if template == "2021" else ("other",)
    return ("granted", "partial", *DENIED, *UNABLE, *REJECTED, *other)


def app_rows(template: str) -> tuple[str, ...]:
    """All table 三 row keys in print order."""
    return ("new", "carried_over", *result_rows(template), "total", "carried_forward")


# ---------------------------------------------------------------- figures


def _count(rng: random.Random, hi: float, p_zero: float) -> int:
    # Cubing skews toward small values while keeping a long tail, like real tables.
    if hi <= 0 or rng.random() < p_zero:
        return 0
    return 1 + int(hi * rng.random() ** 3)


# Chance that a result row is used at all; most rows are zero in real reports.
_ROW_RATE = {
    "granted": 0.9,
    "partial": 0.4,
    "unable_not_held": 0.5,
    "other": 0.2,
    "rejected_complaint": 0.2,
    "rejected_repeat": 0.2,
    "other_other": 0.2,
    "unable_unclear": 0.15,
    "denied_third_party": 0.1,
    "denied_process": 0.1,
}


def _app_cells(rng: random.Random, template: str) -> dict[str, int]:
    scale = rng.choice((0, 5, 15, 40, 40, 300, 3000))
    cells: dict[str, int] = {}
    for col in APPLICANTS:
        active = col == "natural" or rng.random() < 0.35
        col_scale = scale if col == "natural" else scale / 4
        total = 0
        for row in result_rows(template):
            rate = _ROW_RATE.get(row, 0.04)
            v = _count(rng, col_scale * rate, 1 - rate) if active else 0
            cells[f"app.{row}.{col}"] = v
            total += v
        forward = _count(rng, total / 4, 0.7) if total else 0
        over = rng.randint(0, total + forward) if rng.random() < 0.3 else 0
        cells.update(
            {
                f"app.total.{col}": total,
                f"app.carried_forward.{col}": forward,
                f"app.carried_over.{col}": over,
                f"app.new.{col}": total + forward - over,
            }
        )
    for row in app_rows(template):
        cells[f"app.{row}.total"] = sum(cells[f"app.{row}.{c}"] for c in APPLICANTS)
    return cells


def _rl_cells(rng: random.Random) -> dict[str, int]:
    cells: dict[str, int] = {}
    for g in RL_GROUPS:
        busy = rng.random() < 0.4
        parts = [_count(rng, 6, 0.6) if busy else 0 for _ in RL_COLS[:-1]]
        cells.update({f"rl.{g}.{c}": v for c, v in zip(RL_COLS, [*parts, sum(parts)], strict=True)})
    return cells


_A20_HI = {"in_force": 60, "total_public": 60, "prev_items": 300, "items": 30}


def _a20_value(rng: random.Random, item: str, col: str) -> int | float:
    if col == "amount":
        if rng.random() < 0.5:
            return 0
        places = rng.choice((1, 10, 100, 10000))  # decimal places 0, 1, 2 or 4
        return rng.randint(1, 10000 * places) / places
    if col == "change":
        return _count(rng, 2000 if item == "fees" else 40, 0.6) * rng.choice((1, -1))
    if col == "decisions" and item in ("licensing", "punishment"):
        return _count(rng, 5000, 0.3)
    return _count(rng, 8000 if item == "fees" else _A20_HI.get(col, 6), 0.5)


def _a20_cells(rng: random.Random, template: str) -> dict[str, int | float]:
    return {
        f"a20.{item}.{col}": _a20_value(rng, item, col)
        for _, _, entries, cols in A20_LAYOUT[template]
        for item, _ in entries
        for col in cols
    }


def _narrative(rng: random.Random, cells: dict[str, int | float]) -> dict[str, int]:
    out = {k: int(cells[c]) for k, c in NARRATIVE_CELLS.items() if rng.random() < 0.5}
    if rng.random() < 0.6:
        out["proactive_items"] = _count(rng, 20000, 0.02)
    return out


def _templates(rng: random.Random, year: int | None, app: str | None, a20: str | None) -> tuple[int, str, str]:
    if year is None:
        year = (
            rng.randint(2019, 2020)
            if app == "2019" and rng.random() < 0.7
            else (rng.randint(2021, 2025) if app == "2021" else rng.randint(2019, 2025))
        )
    if app is None:
        # The 2021 revision did not exist before 2021; afterwards some bodies lag.
        app = "2021" if year >= 2021 and rng.random() < 0.88 else "2019"
    if a20 is None:
        a20 = app if rng.random() < 0.9 else ("2019" if app == "2021" else "2021")
    return year, app, a20


def random_report(
    rng: random.Random, *, template_app: str | None = None, template_a20: str | None = None, year: int | None = None
) -> SynthReport:
    """A report whose figures satisfy app.flow, app.results_sum, app.row_sum, rl.group_sum."""
    year, template_app, template_a20 = _templates(rng, year, template_app, template_a20)
    cells = {**_a20_cells(rng, template_a20), **_app_cells(rng, template_app), **_rl_cells(rng)}
    blanks = frozenset(rng.sample(sorted(cells), rng.randint(1, 3)) if rng.random() < 0.08 else ())
    city = rng.choice(sorted(_PLACES))
    agency = city + rng.choice(_PLACES[city])
    return SynthReport(
        agency=agency + rng.choice(_BODIES),
        year=year,
        template_a20=template_a20,
        template_app=template_app,
        cells=cells,
        narrative=_narrative(rng, cells),
        blanks=blanks,
        tables_as_images=rng.random() < 0.04,
    )


def gold_cells(report: SynthReport) -> dict[str, int | float]:
    """The cells a perfect parser reads: blanks are absent, image tables give nothing."""
    if report.tables_as_images:
        return {}
    return {k: v for k, v in report.cells.items() if k not in report.blanks}


# ---------------------------------------------------------------- perturbation


def _bump(rng: random.Random, v: int) -> int:
    d = rng.randint(1, 5)
    return v - d if v >= d and rng.random() < 0.5 else v + d


def _perturb_candidates(r: SynthReport) -> dict[str, list[str]]:
    linked = {NARRATIVE_CELLS[k] for k in r.narrative if k in NARRATIVE_CELLS}
    app = [
        f"app.{row}.{c}"
        for row in app_rows(r.template_app)
        if not any(f"app.{row}.{c2}" in r.blanks for c2 in APP_COLS)
        for c in APP_COLS
    ]
    rl = [f"rl.{g}.{c}" for g in RL_GROUPS if not any(f"rl.{g}.{c2}" in r.blanks for c2 in RL_COLS) for c in RL_COLS]
    prose = [f"narrative.{k}" for k, c in NARRATIVE_CELLS.items() if k in r.narrative and c not in r.blanks]
    return {"app.row_sum": [k for k in app if k not in linked], "rl.group_sum": rl, "narrative.mismatch": prose}


def perturb(report: SynthReport, rng: random.Random) -> tuple[SynthReport, str, str]:
    """Copy ``report`` with one printed number changed; return (copy, key, rule id).

    A table 三 cell yields ``app.row_sum`` (its row no longer adds up); app.flow
    and/or app.results_sum fire too for that cell's column.  A table 四 cell
    yields ``rl.group_sum`` and nothing else.  A prose number yields
    ``narrative.mismatch`` with key ``narrative.<fact>``; table 三 cells that a
    prose fact restates are never touched, so the prose stays consistent.
    Only rows/groups without blanks are chosen, so the named check can run.
    Tables printed as images are made visible in the copy, since no rule
    could fire without them.
    """
    cands = {k: v for k, v in _perturb_candidates(report).items() if v}
    rule = rng.choice(sorted(cands))
    key = rng.choice(cands[rule])
    out = replace(report, cells=dict(report.cells), narrative=dict(report.narrative), tables_as_images=False)
    if rule == "narrative.mismatch":
        fact = key.split(".", 1)[1]
        out.narrative[fact] = _bump(rng, out.narrative[fact])
    else:
        out.cells[key] = _bump(rng, int(out.cells[key]))
    return out, key, rule


# ---------------------------------------------------------------- style


@dataclass
class _Style:
    """Per-render choices: layout knobs always vary, character noise only with noise=True."""

    rng: random.Random
    prefix: str = "\t"  # cell_per_line: what precedes each cell
    row_gap: bool = True  # cell_per_line: blank line after each row
    breaks: bool = True  # keep the line breaks inside narrow header cells
    trailing_tab: bool = False  # tab: Word leaves one; markdown: empty header row
    vcenter: bool = False  # space: numbers and spanning labels vertically centred
    right: bool = False  # space: numbers right-aligned in their column
    gap: int = 2  # space: minimum spaces between columns
    entities: bool = False  # html: &ldquo; &nbsp; instead of the characters
    html_p: bool = False  # html: <p><span> inside cells, <strong> headings
    headings: bool = True  # section headings numbered 一、二、…
    para_gap: bool = True  # blank line between paragraphs
    pages: bool = False  # space: page footers after tables
    indent: str = ""
    trad: bool = False
    zero: str = "0"
    sep: str = ""  # thousands separator
    fullwidth: float = 0.0  # chance that a cell's digits are full-width
    change: str = "plain"  # 2019 增/减 column: "plain" -5, "plus" +5, "zh" 增5/减5
    amount: str = "plain"  # "plain" 12.5, "wan" 12.5万元, "yuan" 125000元
    total_first: bool = False  # table 三 prints 总计 as its first column
    top: str = "{}、"  # numbering formats for the three label levels
    paren: str = "（{}）"
    arabic: str = "{}."
    item: str = "（{}）"  # 第二十条第（一）项
    relabel: dict[str, str] = field(default_factory=dict)  # label variants and typos


def _typo(text: str, rng: random.Random) -> str:
    hits = [(a, b) for a, b in _HOMOPHONES if a in text]
    if hits and rng.random() < 0.6:
        a, b = rng.choice(hits)
        return text.replace(a, b, 1)
    i = rng.randrange(1, len(text))
    return text[:i] + text[i + 1 :]


def _relabel(rng: random.Random) -> dict[str, str]:
    out = {t: rng.choice(v) for t, v in _VARIANTS.items() if rng.random() < 0.4}
    if rng.random() < 0.25:
        t = rng.choice(_TYPO_TARGETS)
        out[t] = _typo(out.get(t, t), rng)
    return out


def _style(rng: random.Random, noise: bool) -> _Style:
    st = _Style(
        rng,
        prefix=rng.choice(("\t", "\t", "")),
        row_gap=rng.random() < 0.7,
        breaks=rng.random() < 0.6,
        trailing_tab=rng.random() < 0.5,
        vcenter=rng.random() < 0.5,
        right=rng.random() < 0.5,
        gap=rng.choice((2, 2, 3, 4)),
        entities=rng.random() < 0.5,
        html_p=rng.random() < 0.4,
        headings=rng.random() < 0.7,
        para_gap=rng.random() < 0.6,
        pages=rng.random() < 0.4,
        indent=rng.choice(("", "　　", "    ")),
    )
    if not noise:
        return st
    st.trad = rng.random() < 0.15
    st.zero = rng.choice(("0", "0", "0", "0", "-", "—", "/"))
    st.sep = rng.choice(("", "", ",", "，"))
    st.fullwidth = rng.choice((0.0, 0.0, 0.0, 0.15, 1.0))
    st.change = rng.choice(("plain", "plus", "zh"))
    st.amount = rng.choice(("plain", "plain", "wan", "yuan"))
    st.total_first = rng.random() < 0.15
    st.top = rng.choice(("{}、", "{}、", "{}."))
    st.paren = rng.choice(("（{}）", "（{}）", "({})", "({}) ", "{}、"))
    st.arabic = rng.choice(("{}.", "{}.", "{}、", "{}．", "{}. ", "（{}）"))
    st.item = rng.choice(("（{}）", "({})"))
    st.relabel = _relabel(rng)
    return st


def _sep(v: int, sep: str) -> str:
    return f"{v:,}".replace(",", sep) if sep else str(v)


def _amount(st: _Style, v: float) -> str:
    if st.amount == "yuan":
        return f"{round(v * 10000)}元"
    s = repr(v)
    s = s[:-2] if s.endswith(".0") else s
    return s + "万元" if st.amount == "wan" else s


def _fmt(st: _Style, rep: SynthReport, key: str) -> str:
    if key in rep.blanks:
        return ""
    v = rep.cells[key]
    col = key.rsplit(".", 1)[1]
    if v == 0:
        s = st.zero
    elif col == "amount":
        s = _amount(st, float(v))
    elif col == "change":
        sign = ("增" if v > 0 else "减") if st.change == "zh" else ("-" if v < 0 else "+" * (st.change == "plus"))
        s = sign + _sep(abs(int(v)), st.sep)
    else:
        s = _sep(int(v), st.sep)
    if st.fullwidth and st.rng.random() < st.fullwidth:
        s = s.translate(_FULLWIDTH)
    return s


def _text(st: _Style, text: str) -> str:
    return st.relabel.get(text, text)


def _label(st: _Style, key: str) -> str:
    kind, idx, text = LABELS[key]
    fmt = st.top if kind == "top" else st.paren if kind == "paren" else st.arabic
    return fmt.format(str(idx) if kind == "arabic" else _CN[idx - 1]) + _text(st, text)


# ---------------------------------------------------------------- tables
# A table is HTML-shaped: rows of (text, rowspan, colspan, is_value) cells, with
# positions covered by a span left out.  "|" in a header marks where the
# source document broke the line inside a narrow cell.

Cell = tuple[str, int, int, bool]
Rows = list[list[Cell]]


def _h(text: str, rs: int = 1, cs: int = 1) -> Cell:
    return (text, rs, cs, False)


def _app_table(rep: SynthReport, st: _Style) -> Rows:
    order = ("total", *APPLICANTS) if st.total_first else APP_COLS

    def line(key: str, *labels: Cell) -> list[Cell]:
        return [*labels, *((_fmt(st, rep, f"app.{key}.{c}"), 1, 1, True) for c in order)]

    people = [_h("自然人", 2), _h("法人或其他组织", 1, 5)]
    note = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    rows: Rows = [
        [_h(note if st.rng.random() < 0.8 else "", 3, 3), _h("申请人情况", 1, 7)],
        [_h("总计", 2), *people] if st.total_first else [*people, _h("总计", 2)],
        [_h(t) for t in ("商业|企业", "科研|机构", "社会公益|组织", "法律服务|机构", "其他")],
        line("new", _h(_label(st, "new"), 1, 3)),
        line("carried_over", _h(_label(st, "carried_over"), 1, 3)),
    ]
    other: tuple[str | None, tuple[str, ...]] = (
        ("other", OTHER_2021) if rep.template_app == "2021" else (None, ("other",))
    )
    groups = [
        (None, ("granted",)),
        (None, ("partial",)),
        ("denied", DENIED),
        ("unable", UNABLE),
        ("rejected", REJECTED),
        other,
        (None, ("total",)),
    ]
    head = [_h(_label(st, "results"), sum(len(m) for _, m in groups))]
    for group, members in groups:
        for i, key in enumerate(members):
            if group is None:
                labels = [_h(_label(st, key), 1, 2)]
            else:
                labels = [_h(_label(st, group), len(members))] * (i == 0) + [_h(_label(st, key))]
            rows.append(line(key, *head, *labels))
            head = []
    rows.append(line("carried_forward", _h(_label(st, "carried_forward"), 1, 3)))
    return rows


_RL_HEADS = ("结果|维持", "结果|纠正", "其他|结果", "尚未|审结", "总计")


def _rl_table(rep: SynthReport, st: _Style) -> Rows:
    return [
        [_h("行政复议", 1, 5), _h("行政诉讼", 1, 10)],
        [*(_h(t, 2) for t in _RL_HEADS), _h("未经复议直接起诉", 1, 5), _h("复议后起诉", 1, 5)],
        [_h(t) for t in _RL_HEADS * 2],
        [(_fmt(st, rep, f"rl.{g}.{c}"), 1, 1, True) for g in RL_GROUPS for c in RL_COLS],
    ]


def _a20_table(rep: SynthReport, st: _Style) -> Rows:
    rows: Rows = []
    for item, heads, entries, cols in A20_LAYOUT[rep.template_a20]:
        fill = 3 - len(cols)
        rows.append([_h("第二十条第" + st.item.format(item) + "项", 1, 4)])
        rows.append([_h("信息内容"), *(_h(_text(st, h)) for h in heads[:-1]), _h(_text(st, heads[-1]), 1, 1 + fill)])
        for key, name in entries:
            vals = [_fmt(st, rep, f"a20.{key}.{c}") for c in cols]
            rows.append([_h(_text(st, name)), *((v, 1, 1, True) for v in vals[:-1]), (vals[-1], 1, 1 + fill, True)])
    return rows


Placed = tuple[int, int, Cell]  # row, first column, cell


def _place(rows: Rows) -> list[Placed]:
    taken: set[tuple[int, int]] = set()
    out: list[Placed] = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, cell))
            taken.update((r + dr, c + dc) for dr in range(cell[1]) for dc in range(cell[2]))
            c += cell[2]
    return out


def _grid(rows: Rows) -> list[list[str]]:
    """Every position gets a string; merged positions are empty (Word/PDF text)."""
    placed = _place(rows)
    grid = [[""] * max(c + cell[2] for _, c, cell in placed) for _ in rows]
    for r, c, cell in placed:
        grid[r][c] = cell[0].replace("|", "")
    return grid


def _web(rows: Rows, st: _Style) -> list[str]:
    # Copying an HTML table from a browser gives one line per cell; a cell
    # covered by a rowspan from above shows as one empty cell, colspans vanish.
    per_row: list[list[tuple[int, str]]] = [[] for _ in rows]
    for r, c, (text, rs, _, _) in _place(rows):
        per_row[r].append((c, text.replace("|", "\n" if st.breaks else "")))
        for dr in range(1, rs):
            per_row[r + dr].append((c, ""))
    out: list[str] = []
    for items in per_row:
        out += [st.prefix + t for _, t in sorted(items)] + [""] * st.row_gap
    return out


def _dw(s: str) -> int:
    return len(s) + sum(1 for ch in s if ord(ch) > 0x2E7F)


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for piece in text.split("|"):
        cur, w = "", 0
        for ch in piece:
            cw = 2 if ord(ch) > 0x2E7F else 1
            if w + cw > width and cur:
                lines.append(cur)
                cur, w = "", 0
            cur, w = cur + ch, w + cw
        lines.append(cur)
    return lines


def _space(rows: Rows, limits: list[int], st: _Style) -> list[str]:
    """pdftotext -layout: aligned columns, wrapped labels, spans centred by row."""
    placed = _place(rows)
    ncols = max(c + cell[2] for _, c, cell in placed)
    limits = limits + [8] * (ncols - len(limits))
    widths = [0] * ncols
    for _, c, (text, _, cs, val) in placed:
        if cs == 1:
            widths[c] = max(widths[c], *map(_dw, [text] if val else _wrap(text, limits[c])))
    pos = [sum(widths[:c]) + st.gap * c for c in range(ncols + 1)]
    blocks: list[list[tuple[int, int, list[str], bool]]] = [[] for _ in rows]
    for r, c, (text, rs, cs, val) in placed:
        avail = max(pos[c + cs] - pos[c] - st.gap, limits[c])
        blocks[r + (rs - 1) // 2 * st.vcenter].append((c, cs, [text] if val else _wrap(text, avail), val))
    return [line for b in blocks for line in _space_block(b, pos, st)]


def _space_block(cells: list[tuple[int, int, list[str], bool]], pos: list[int], st: _Style) -> list[str]:
    h = max([len(lines) for _, _, lines, _ in cells] or [1])
    out = []
    for li in range(h):
        s, cur = "", 0
        for c, cs, lines, val in sorted(cells, key=lambda t: t[0]):
            k = li - ((h - 1) // 2 if val and st.vcenter else 0)
            piece = lines[k] if 0 <= k < len(lines) else ""
            if not piece:
                continue
            span = pos[c + cs] - pos[c] - st.gap
            x = pos[c] + (span - _dw(piece) if val and st.right else 0)
            pad = x - cur if cur == 0 or x - cur >= 2 else 2
            s, cur = s + " " * pad + piece, cur + pad + _dw(piece)
        out.append(s)
    return out


def _markdown(rows: Rows, st: _Style) -> list[str]:
    grid = _grid(rows)
    lines = ["| " + " | ".join(row) + " |" for row in grid]
    sep = "|" + "---|" * len(grid[0])
    if st.trailing_tab:  # some converters emit an empty header row
        return ["|" + " |" * len(grid[0]), sep, *lines]
    return [lines[0], sep, *lines[1:]]


def _html_cell(text: str, st: _Style) -> str:
    text = text.replace("|", "<br/>" if st.breaks else "")
    if st.entities:
        text = text.replace("“", "&ldquo;").replace("”", "&rdquo;") or "&nbsp;"
    return f'<p style="text-align:center"><span>{text}</span></p>' if st.html_p else text


def _td(text: str, rs: int, cs: int, st: _Style) -> str:
    spans = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
    return f"<td{spans}>{_html_cell(text, st)}</td>"


def _html_table(rows: Rows, st: _Style) -> list[str]:
    out = ['<table border="1" cellspacing="0" cellpadding="0" width="100%"><tbody>']
    for row in rows:
        tds = "".join(_td(text, rs, cs, st) for text, rs, cs, _ in row)
        out.append(f"<tr>{tds}</tr>")
    return [*out, "</tbody></table>"]


# ---------------------------------------------------------------- prose


@dataclass
class _Block:
    kind: str  # "title", "h" (heading), "p" (paragraph), "table"
    text: str = ""
    rows: Rows = field(default_factory=list)
    limits: list[int] = field(default_factory=list)


_PHRASES = {
    "applications_received": (
        "全年共收到政府信息公开申请{n}件",
        "本年度共受理依申请公开{n}件",
        "全年共接收依申请公开{n}件",
        "本年度新收政府信息公开申请{n}件",
    ),
    "applications_closed": ("办结{n}件", "全年共办结政府信息公开申请{n}件", "本年度办理完毕{n}件"),
    "applications_pending": ("结转下年度{n}件", "结转下年度继续办理{n}件", "另有{n}件结转至下一年度办理"),
    "proactive_items": (
        "全年主动公开政府信息{n}条",
        "本年度共主动公开政府信息{n}条",
        "通过门户网站主动公开各类政府信息{n}条",
    ),
}
_ISSUES = (
    "一是政策解读形式还有待创新。",
    "二是信息公开的及时性有待进一步提高。",
    "三是工作人员业务能力仍需加强。",
    "下一步，将加强业务培训，规范公开流程，提升公开质量。",
)
_FEES = (
    "本年度未收取信息处理费。",
    "本年度收取信息处理费0元。",
    "发出收费通知的件数和总金额以及实际收取的总金额均为0。",
    "",
)


def _fact(rep: SynthReport, st: _Style, key: str) -> str:
    n = _sep(rep.narrative[key], st.sep)
    return st.rng.choice(_PHRASES[key]).format(n=f" {n} " if st.rng.random() < 0.2 else n)


def _overview(rep: SynthReport, st: _Style) -> list[_Block]:
    rng, y = st.rng, rep.year
    out = [
        _Block(
            "p",
            f"{y}年，{rep.agency}坚持以习近平新时代中国特色社会主义思想为指导，"
            "认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政务公开工作。",
        )
    ]
    if "proactive_items" in rep.narrative:
        out += [_Block("p", "（一）主动公开")] * (rng.random() < 0.5)
        out.append(_Block("p", f"{_fact(rep, st, 'proactive_items')}，开展政务公开业务培训{rng.randint(1, 12)}次。"))
    apps = [_fact(rep, st, k) for k in NARRATIVE_CELLS if k in rep.narrative]
    if apps:
        out += [_Block("p", "（二）依申请公开")] * (rng.random() < 0.5)
        out.append(_Block("p", f"{y}年，" + "，".join(apps) + "，均在法定期限内予以答复。"))
    return out


def _heading(st: _Style, n: int, text: str) -> _Block:
    return _Block("h", f"{_CN[n - 1]}、{text}" if st.headings else text)


def _table_blocks(rep: SynthReport, st: _Style, n: int, title: str, table: _Block) -> list[_Block]:
    head = _heading(st, n, title)
    if not rep.tables_as_images:
        return [head, table]
    caption = st.rng.choice(("（表格见附件图片）", "（见附图）", title, ""))
    return [head, _Block("p", caption)] if caption else [head]


def _blocks(rep: SynthReport, st: _Style) -> list[_Block]:
    rng, a, y = st.rng, rep.agency, rep.year
    head = rng.choice((f"{a}{y}年", f"{a}\n{y}年", f"{a}\n\n{y}年", f"{y}年{a}", f"{a} {y} 年"))
    w = [rng.randint(4, 6), rng.randint(5, 8), rng.randint(8, 16)]
    return [
        _Block("title", head + "政府信息公开工作年度报告"),
        _Block(
            "p",
            "依据《中华人民共和国政府信息公开条例》（以下简称《条例》）第五十条规定，编制本报告。"
            f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。",
        ),
        _heading(st, 1, "总体情况"),
        *_overview(rep, st),
        *_table_blocks(
            rep, st, 2, "主动公开政府信息情况", _Block("table", rows=_a20_table(rep, st), limits=[rng.randint(12, 24)])
        ),
        *_table_blocks(
            rep,
            st,
            3,
            "收到和处理政府信息公开申请情况",
            _Block("table", rows=_app_table(rep, st), limits=[x * 2 for x in w]),
        ),
        *_table_blocks(rep, st, 4, "政府信息公开行政复议、行政诉讼情况", _Block("table", rows=_rl_table(rep, st))),
        _heading(st, 5, "存在的主要问题及改进情况"),
        _Block("p", "".join(_ISSUES[: rng.randint(1, 4)])),
        _heading(st, 6, "其他需要报告的事项"),
        _Block("p", rng.choice(_FEES) + "如需了解更多政府信息，请登录本机关门户网站查询。"),
    ]


# ---------------------------------------------------------------- documents


_NUMBER_CHARS = frozenset("0123456789,，.")


def _wrap_prose(text: str, width: int) -> list[str]:
    # pdftotext breaks anywhere, but a number split across lines is not a
    # layout the project has to read, so lines never end inside a number.
    out: list[str] = []
    while len(text) > width:
        cut = width
        while cut > 1 and text[cut - 1] in _NUMBER_CHARS and text[cut] in _NUMBER_CHARS:
            cut -= 1
        out.append(text[:cut])
        text = text[cut:]
    return [*out, text]


def _plain_doc(blocks: list[_Block], st: _Style, layout: str) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind == "table":
            lines = (
                _web(b.rows, st)
                if layout == "cell_per_line"
                else _space(b.rows, b.limits, st)
                if layout == "space"
                else _markdown(b.rows, st)
                if layout == "markdown"
                else ["\t".join(r) + "\t" * st.trailing_tab for r in _grid(b.rows)]
            )
            out += ["", *lines, ""]
            if layout == "space" and st.pages:  # PDF page footers are stray numbers too
                out += [f"{' ' * 30}- {len(out) // 40 + 1} -", "\f"]
        elif b.kind == "title" and layout == "markdown":
            out.append("# " + b.text.replace("\n", ""))
        elif b.kind == "h" and layout == "markdown":
            out.append("## " + b.text)
        elif b.kind == "p" and layout == "space":
            out += [" " * 4 * (i == 0) + s for i, s in enumerate(_wrap_prose(b.text, 38))]
        else:
            out.append(st.indent * (b.kind == "p" and layout != "markdown") + b.text)
        out += [""] * (st.para_gap or layout == "markdown")
    return "\n".join(out)


def _html_doc(blocks: list[_Block], st: _Style, rep: SynthReport) -> str:
    title = blocks[0].text.replace("\n", "")
    body: list[str] = []
    for b in blocks[1:]:
        text = b.text.replace("“", "&ldquo;").replace("”", "&rdquo;") if st.entities else b.text
        if b.kind == "table":
            body += _html_table(b.rows, st)
        elif b.kind == "h":
            body.append(f"<p><strong>{text}</strong></p>" if st.html_p else f"<h3>{text}</h3>")
        else:
            body.append(
                "<p>&nbsp;&nbsp;&nbsp;&nbsp;" + text + "</p>"
                if st.entities
                else f'<p style="text-indent:2em;">{text}</p>'
            )
    return "\n".join(
        [
            '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">',
            f"<title>{title}_{rep.agency}</title>\n</head>\n<body>",
            '<div class="nav"><a href="/">首页</a> | <a href="/zwgk/">政务公开</a> | '
            '<a href="/hdjl/">互动交流</a> | <a href="/bsfw/">办事服务</a></div>',
            '<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政务公开 &gt; 年度报告</div>',
            f'<div class="article">\n<h1>{title}</h1>',
            f'<div class="info">发布时间：{rep.year + 1}-01-{st.rng.randint(10, 31)}　来源：{rep.agency}</div>',
            '<div class="content">',
            *body,
            "</div>\n</div>",
            f'<div class="footer">主办单位：{rep.agency}</div>\n</body>\n</html>',
        ]
    )


def render(report: SynthReport, layout: str, rng: random.Random, *, noise: bool = True) -> str:
    """The whole report as text in ``layout`` (one of LAYOUTS).

    noise=False keeps simplified characters, canonical labels and plain
    numbers; layout knobs (tab prefixes, blank lines, wrapping, title shape)
    still vary.  Blank cells print as nothing whatever the noise.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
    st = _style(rng, noise)
    blocks = _blocks(report, st)
    text = _html_doc(blocks, st, report) if layout == "html" else _plain_doc(blocks, st, layout)
    return text.translate(_TRAD) if st.trad else text


def _main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Print one synthetic annual report.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layout", choices=LAYOUTS, help="default: drawn from the seed")
    ap.add_argument("--clean", action="store_true", help="render with noise=False")
    ap.add_argument("--gold", action="store_true", help="also print gold cells as JSON")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    report = random_report(rng)
    print(render(report, args.layout or rng.choice(LAYOUTS), rng, noise=not args.clean))
    if args.gold:
        print(json.dumps({"gold": gold_cells(report), "narrative": report.narrative}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    _main()
