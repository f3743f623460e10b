"""Builds the adversarial corpus: small reports derived from the real seeds by the
transformations real 政府信息公开工作年度报告 show, plus `expected.json`.

Expected cells come from ../shared/gold (never from the parser): each case names its seed
and the cells it changes or drops. Expected rules are written by hand per case; where a
number is injected, `_broken_rules` recomputes from the spec which balance rules break.
Run `python tests/corpus/build.py` to regenerate; the files are committed.
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: the cell-key tables live in synth

from synth import APP_COLS as COLS
from synth import DENIED as DENIED  # re-exported for cases.py
from synth import OTHER_2021 as OTHER21
from synth import REJECTED as REJECTED
from synth import RL_COLS, RL_GROUPS
from synth import UNABLE as UNABLE

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent.parent / "shared"

# (top label, group label, row label, key) exactly as the State Council template prints them.
ROWS_2021: list[tuple[str, str, str, str]] = [
    ("一、本年新收政府信息公开申请数量", "", "", "new"),
    ("二、上年结转政府信息公开申请数量", "", "", "carried_over"),
    ("三、本年度办理结果", "（一）予以公开", "", "granted"),
    ("", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "", "partial"),
    ("", "（三）不予公开", "1.属于国家秘密", "denied_secret"),
    ("", "", "2.其他法律行政法规禁止公开", "denied_law"),
    ("", "", "3.危及“三安全一稳定”", "denied_safety"),
    ("", "", "4.保护第三方合法权益", "denied_third_party"),
    ("", "", "5.属于三类内部事务信息", "denied_internal"),
    ("", "", "6.属于四类过程性信息", "denied_process"),
    ("", "", "7.属于行政执法案卷", "denied_enforcement"),
    ("", "", "8.属于行政查询事项", "denied_query"),
    ("", "（四）无法提供", "1.本机关不掌握相关政府信息", "unable_not_held"),
    ("", "", "2.没有现成信息需要另行制作", "unable_create"),
    ("", "", "3.补正后申请内容仍不明确", "unable_unclear"),
    ("", "（五）不予处理", "1.信访举报投诉类申请", "rejected_complaint"),
    ("", "", "2.重复申请", "rejected_repeat"),
    ("", "", "3.要求提供公开出版物", "rejected_publication"),
    ("", "", "4.无正当理由大量反复申请", "rejected_excessive"),
    ("", "", "5.要求行政机关确认或重新出具已获取信息", "rejected_confirm"),
    (
        "",
        "（六）其他处理",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "other_overdue_correction",
    ),
    ("", "", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other_overdue_fee"),
    ("", "", "3.其他", "other_other"),
    ("", "（七）总计", "", "total"),
    ("四、结转下年度继续办理", "", "", "carried_forward"),
]
ROWS_2019 = [r for r in ROWS_2021 if r[3] not in OTHER21]
ROWS_2019.insert(20, ("", "（六）其他处理", "", "other"))
APP_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
ORG_HEADS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")

A20_2021 = [
    (
        "第二十条第（一）项",
        ("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"),
        [("规章", "regulations"), ("行政规范性文件", "normative_docs")],
        ("issued", "repealed", "in_force"),
    ),
    ("第二十条第（五）项", ("信息内容", "本年处理决定数量"), [("行政许可", "licensing")], ("decisions",)),
    (
        "第二十条第（六）项",
        ("信息内容", "本年处理决定数量"),
        [("行政处罚", "punishment"), ("行政强制", "coercion")],
        ("decisions",),
    ),
    ("第二十条第（八）项", ("信息内容", "本年收费金额（单位：万元）"), [("行政事业性收费", "fees")], ("amount",)),
]


def seed(n: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    path = next((SHARED / "seeds").glob(f"{n}_*.txt"))
    gold = json.loads((SHARED / "gold" / (path.stem + ".json")).read_text(encoding="utf-8"))
    return path.read_text(encoding="utf-8"), gold


def lines_of(n: str, first: int, last: int) -> str:
    """Lines first..last (1-based, inclusive) of a seed, verbatim."""
    text, _ = seed(n)
    return "\n".join(text.split("\n")[first - 1 : last])


def fmt(value: float | int) -> str:
    return str(value)


# ---- grids ------------------------------------------------------------------------------


def app_grid(
    cells: dict,
    version: str = "2021",
    *,
    cols: tuple[str, ...] = COLS,  # type: ignore[type-arg]
    labels: dict[str, str] | None = None,
    fmt_value: Callable[[str, object], str] | None = None,
    header: bool = True,
) -> list[list[str]]:
    """Table 三 as a grid of 10 columns (3 label columns + 7 numbers); '' is a merged/empty cell."""
    labels = labels or {}
    rows = ROWS_2021 if version == "2021" else ROWS_2019
    grid: list[list[str]] = []
    if header:
        heads = {"natural": "自然人", "total": "总计"}
        h2 = ["", "", ""] + [heads.get(c, "") for c in cols]
        first_org = min(i for i, c in enumerate(cols) if c not in heads)
        h2[3 + first_org] = "法人或其他组织"
        h3 = ["", "", ""] + [("" if c in heads else ORG_HEADS[COLS.index(c) - 1]) for c in cols]
        grid += [[APP_NOTE, "", "", "申请人情况"] + [""] * 6, h2, h3]
    for top, group, sub, key in rows:
        label = labels.get(key)
        if label is not None:
            top, group, sub = (label, "", "") if top else (top, label, "") if not sub else (top, group, label)
        values = [
            fmt_value(f"app.{key}.{c}", cells[f"app.{key}.{c}"]) if fmt_value else fmt(cells[f"app.{key}.{c}"])
            for c in cols
        ]
        grid.append([top, group, sub, *values])
    return grid


def rl_grid(cells: dict) -> list[list[str]]:  # type: ignore[type-arg]
    h1 = ["行政复议", "", "", "", "", "行政诉讼"] + [""] * 9
    h2 = [
        "结果维持",
        "结果纠正",
        "其他结果",
        "尚未审结",
        "总计",
        "未经复议直接起诉",
        "",
        "",
        "",
        "",
        "复议后起诉",
        "",
        "",
        "",
        "",
    ]
    h3 = [""] * 5 + ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2
    values = [fmt(cells[f"rl.{g}.{c}"]) for g in RL_GROUPS for c in RL_COLS]
    return [h1, h2, h3, values]


def a20_grid(cells: dict) -> list[list[str]]:  # type: ignore[type-arg]
    grid: list[list[str]] = []
    for article, heads, items, columns in A20_2021:
        grid.append([article, "", "", ""])
        grid.append([*heads, *[""] * (4 - len(heads))])
        for label, item in items:
            values = [fmt(cells[f"a20.{item}.{c}"]) for c in columns]
            grid.append([label, *values, *[""] * (3 - len(values))])
    return grid


# ---- layouts ------------------------------------------------------------------------------


def tabbed(grid: list[list[str]]) -> str:
    return "\n".join("\t".join(row).rstrip("\t") for row in grid)


def web_no_blank(grid: list[list[str]]) -> str:
    """A CMS copy: every non-empty cell on its own line, no blank lines, no tab indentation."""
    return "\n".join(cell for row in grid for cell in row if cell)


def pairs(grid: list[list[str]]) -> str:
    """Two cells per line (a two-column page template), separated by a tab."""
    out = []
    for row in grid:
        cells = [c for c in row if c]
        out += ["\t".join(cells[i : i + 2]) for i in range(0, len(cells), 2)]
    return "\n".join(out)


def markdown(grid: list[list[str]]) -> str:
    width = max(len(r) for r in grid)
    rows = [r + [""] * (width - len(r)) for r in grid]
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)


def _w(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def pdf_layout(grid: list[list[str]], label_width: int = 60, wrap: int = 22) -> str:
    """pdftotext -layout: a wide label column (labels joined, long ones wrapped), numbers
    separated by single spaces."""
    out = []
    for row in grid[3:]:
        label = "".join(c for c in row[:3] if c)
        numbers = " ".join(row[3:])
        head, rest = label[:wrap], label[wrap:]
        out.append(head + " " * max(2, label_width - _w(head)) + numbers)
        while rest:
            out.append(rest[:wrap])
            rest = rest[wrap:]
    orgs = "商业企业 科研机构 社会公益组织 法律服务机构 其他"
    top = " " * label_width + "自然人  法人或其他组织"
    top += " " * (label_width + 8 + _w(orgs) + 2 - _w(top)) + "总计"
    header = " " * (label_width + 20) + "申请人情况\n" + top + "\n" + " " * (label_width + 8) + orgs
    return APP_NOTE + "\n" + header + "\n" + "\n".join(out)


def html_table(grid: list[list[str]], *, cms: bool = True, one_line: bool = False) -> str:
    """An HTML table; `cms` wraps every cell in the nested <div>/<p>/<span> a real CMS emits."""
    rows = []
    for row in grid:
        tds = []
        for cell in row:
            text = html.escape(cell).replace("（", "<br/>（", 1) if cms and len(cell) > 20 else html.escape(cell)
            if cms:
                tds.append(
                    f'<td style="border:1px solid" valign="center"><div class="cell"><p style="text-align:'
                    f'center"><span style="font-family:仿宋">{text}</span></p></div></td>'
                )
            else:
                tds.append(f"<td>{text}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    sep = "" if one_line else "\n"
    return f'<table border="1" cellspacing="0">{sep}<tbody>{sep}' + sep.join(rows) + f"{sep}</tbody></table>"


# ---- the expected side --------------------------------------------------------------------


def _broken_rules(cells: dict, version: str) -> set[str]:  # type: ignore[type-arg]
    """Balance rules of the spec that fail on these cells (independent of extractor/verify.py)."""
    broken = set()
    results = [
        r[3]
        for r in (ROWS_2021 if version == "2021" else ROWS_2019)
        if r[3] not in ("new", "carried_over", "total", "carried_forward")
    ]
    keys = [r[3] for r in (ROWS_2021 if version == "2021" else ROWS_2019)]
    get = cells.get
    for c in COLS:
        if get(f"app.new.{c}") is not None:
            if get(f"app.new.{c}") + get(f"app.carried_over.{c}") != get(f"app.total.{c}") + get(
                f"app.carried_forward.{c}"
            ):
                broken.add("app.flow")
            if get(f"app.total.{c}") != sum(get(f"app.{r}.{c}") for r in results):
                broken.add("app.results_sum")
    for r in keys:
        if get(f"app.{r}.total") is not None and get(f"app.{r}.total") != sum(get(f"app.{r}.{c}") for c in COLS[:-1]):
            broken.add("app.row_sum")
    for g in RL_GROUPS:
        if get(f"rl.{g}.total") is not None and get(f"rl.{g}.total") != sum(get(f"rl.{g}.{c}") for c in RL_COLS[:-1]):
            broken.add("rl.group_sum")
    return broken


CASES: list[dict] = []  # type: ignore[type-arg]


def case(
    name: str,
    ext: str,
    text: str,
    base: str,
    *,
    changes: dict | None = None,  # type: ignore[type-arg]
    drop: tuple[str, ...] = (),
    rules: set[str] | None = None,
    status: str | None = None,
    meta: dict | None = None,
    note: str = "",
    encoding: str = "utf-8",  # type: ignore[type-arg]
    no_cells: bool = False,
) -> None:
    _, gold = seed(base)
    cells = {} if no_cells else dict(gold["cells"]) | (changes or {})
    for key in drop:
        cells.pop(key)
    version = gold["meta"]["template"] or "2021"
    if rules is None:
        rules = _broken_rules(cells, version)
    if status is None:
        status = "needs_review" if rules - {"template.outdated"} else "accepted"
    path = HERE / f"{name}.{ext}"
    path.write_bytes(text.encode(encoding))
    CASES.append(
        {
            "file": path.name,
            "base": base,
            "note": note,
            "changes": changes or {},
            "drop": list(drop),
            "cells": cells,
            "status": status,
            "rules": sorted(rules),
            "meta": meta or gold["meta"],
        }
    )
