"""The State Council template, encoded once: canonical cell keys, printed labels, row order.

Everything that knows what a report's tables look like (the parser, the model's schema,
the verifier, the test generator) reads it from here, so a key is spelled in one place.
The keys and labels are the public contract of ../shared/spec/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

TemplateVersion = Literal["2019", "2021"]
TableId = Literal["a20", "app", "rl"]
TABLES: tuple[TableId, ...] = ("a20", "app", "rl")
TABLE_TITLES: dict[TableId, str] = {
    "a20": "主动公开政府信息情况",
    "app": "收到和处理政府信息公开申请情况",
    "rl": "政府信息公开行政复议、行政诉讼情况",
}


@dataclass(frozen=True)
class Row:
    """One printed row: its key, its label(s) as the template prints them, its group heading."""

    key: str
    labels: tuple[str, ...]
    group: str = ""


# ---- table 三 -------------------------------------------------------------------------

APP_COLUMNS: tuple[str, ...] = ("natural", "commercial", "research", "nonprofit", "legal", "other_org", "total")
APP_APPLICANT_COLUMNS: tuple[str, ...] = APP_COLUMNS[:-1]
APP_COLUMN_LABELS: dict[str, tuple[str, ...]] = {
    "natural": ("自然人",),
    "commercial": ("商业企业",),
    "research": ("科研机构",),
    "nonprofit": ("社会公益组织",),
    "legal": ("法律服务机构",),
    "other_org": ("其他",),
    "total": ("总计",),
}

_DENIED = "不予公开"
_UNABLE = "无法提供"
_REJECTED = "不予处理"
_OTHER = "其他处理"

_APP_HEAD: tuple[Row, ...] = (
    Row("new", ("本年新收政府信息公开申请数量",)),
    Row("carried_over", ("上年结转政府信息公开申请数量",)),
    Row("granted", ("予以公开",)),
    Row("partial", ("部分公开区分处理的只计这一情形不计其他情形", "部分公开")),
    Row("denied_secret", ("属于国家秘密",), _DENIED),
    Row("denied_law", ("其他法律行政法规禁止公开",), _DENIED),
    Row("denied_safety", ("危及三安全一稳定",), _DENIED),
    Row("denied_third_party", ("保护第三方合法权益",), _DENIED),
    Row("denied_internal", ("属于三类内部事务信息",), _DENIED),
    Row("denied_process", ("属于四类过程性信息",), _DENIED),
    Row("denied_enforcement", ("属于行政执法案卷",), _DENIED),
    Row("denied_query", ("属于行政查询事项",), _DENIED),
    Row("unable_not_held", ("本机关不掌握相关政府信息",), _UNABLE),
    Row("unable_create", ("没有现成信息需要另行制作",), _UNABLE),
    Row("unable_unclear", ("补正后申请内容仍不明确",), _UNABLE),
    Row("rejected_complaint", ("信访举报投诉类申请",), _REJECTED),
    Row("rejected_repeat", ("重复申请",), _REJECTED),
    Row("rejected_publication", ("要求提供公开出版物",), _REJECTED),
    Row("rejected_excessive", ("无正当理由大量反复申请",), _REJECTED),
    Row("rejected_confirm", ("要求行政机关确认或重新出具已获取信息",), _REJECTED),
)
_APP_OTHER_2021: tuple[Row, ...] = (
    Row(
        "other_overdue_correction",
        ("申请人无正当理由逾期不补正行政机关不再处理其政府信息公开申请", "申请人无正当理由逾期不补正"),
        _OTHER,
    ),
    Row(
        "other_overdue_fee",
        ("申请人逾期未按收费通知要求缴纳费用行政机关不再处理其政府信息公开申请", "申请人逾期未按收费通知要求缴纳费用"),
        _OTHER,
    ),
    Row("other_other", ("其他",), _OTHER),
)
_APP_OTHER_2019: tuple[Row, ...] = (Row("other", ("其他处理", "其他")),)
_APP_TAIL: tuple[Row, ...] = (
    Row("total", ("总计",)),
    Row("carried_forward", ("结转下年度继续办理",)),
)

APP_ROWS: dict[TemplateVersion, tuple[Row, ...]] = {
    "2021": _APP_HEAD + _APP_OTHER_2021 + _APP_TAIL,
    "2019": _APP_HEAD + _APP_OTHER_2019 + _APP_TAIL,
}
# Headings that print no numbers of their own; the parser uses them as context only.
APP_GROUP_HEADINGS: tuple[str, ...] = ("本年度办理结果", _DENIED, _UNABLE, _REJECTED, _OTHER)
APP_RESULT_ROWS: dict[TemplateVersion, tuple[str, ...]] = {
    version: tuple(r.key for r in rows if r.key not in ("new", "carried_over", "total", "carried_forward"))
    for version, rows in APP_ROWS.items()
}

# ---- table 四 -------------------------------------------------------------------------

RL_GROUPS: tuple[str, ...] = ("reconsideration", "litigation_direct", "litigation_after")
RL_GROUP_LABELS: dict[str, tuple[str, ...]] = {
    "reconsideration": ("行政复议",),
    "litigation_direct": ("未经复议直接起诉",),
    "litigation_after": ("复议后起诉",),
}
RL_COLUMNS: tuple[str, ...] = ("upheld", "corrected", "other", "pending", "total")
RL_COLUMN_LABELS: dict[str, tuple[str, ...]] = {
    "upheld": ("结果维持",),
    "corrected": ("结果纠正",),
    "other": ("其他结果",),
    "pending": ("尚未审结",),
    "total": ("总计",),
}

# ---- table 二 -------------------------------------------------------------------------

A20_ITEMS: dict[TemplateVersion, dict[str, tuple[str, ...]]] = {
    "2021": {
        "regulations": ("issued", "repealed", "in_force"),
        "normative_docs": ("issued", "repealed", "in_force"),
        "licensing": ("decisions",),
        "punishment": ("decisions",),
        "coercion": ("decisions",),
        "fees": ("amount",),
    },
    "2019": {
        "regulations": ("made", "published", "total_public"),
        "normative_docs": ("made", "published", "total_public"),
        "licensing": ("prev_items", "change", "decisions"),
        "other_services": ("prev_items", "change", "decisions"),
        "punishment": ("prev_items", "change", "decisions"),
        "coercion": ("prev_items", "change", "decisions"),
        "fees": ("prev_items", "change"),
        "procurement": ("items", "amount"),
    },
}
A20_ITEM_LABELS: dict[str, tuple[str, ...]] = {
    "regulations": ("规章",),
    "normative_docs": ("行政规范性文件", "规范性文件"),
    "licensing": ("行政许可",),
    "other_services": ("其他对外管理服务事项",),
    "punishment": ("行政处罚",),
    "coercion": ("行政强制",),
    "fees": ("行政事业性收费",),
    "procurement": ("政府集中采购",),
}
A20_COLUMN_LABELS: dict[str, tuple[str, ...]] = {
    "issued": ("本年制发件数",),
    "repealed": ("本年废止件数",),
    "in_force": ("现行有效件数",),
    "decisions": ("本年处理决定数量", "处理决定数量"),
    "made": ("本年新制作数量",),
    "published": ("本年新公开数量",),
    "total_public": ("对外公开总数量",),
    "prev_items": ("上一年项目数量",),
    "change": ("本年增减",),
    "items": ("采购项目数量",),
    "amount": ("本年收费金额单位万元", "采购总金额", "收费金额"),
}
# A column header that only one template version prints decides that table's version.
A20_VERSION_MARKERS: dict[TemplateVersion, tuple[str, ...]] = {
    "2021": ("issued", "repealed", "in_force"),
    "2019": ("made", "published", "total_public", "prev_items", "change", "items"),
}

# ---- keys ---------------------------------------------------------------------------


def app_keys(version: TemplateVersion) -> list[str]:
    return [f"app.{row.key}.{col}" for row in APP_ROWS[version] for col in APP_COLUMNS]


def rl_keys() -> list[str]:
    return [f"rl.{group}.{col}" for group in RL_GROUPS for col in RL_COLUMNS]


def a20_keys(version: TemplateVersion) -> list[str]:
    return [f"a20.{item}.{col}" for item, cols in A20_ITEMS[version].items() for col in cols]


def table_keys(table: TableId, version: TemplateVersion) -> list[str]:
    if table == "app":
        return app_keys(version)
    if table == "a20":
        return a20_keys(version)
    return rl_keys()


ALL_KEYS: frozenset[str] = frozenset(
    key for version in ("2019", "2021") for table in TABLES for key in table_keys(table, version)
)


def table_of(key: str) -> TableId:
    prefix = key.split(".", 1)[0]
    if prefix not in TABLES:
        raise ValueError(f"not a cell key: {key!r}")
    return prefix


@lru_cache(maxsize=1024)  # a few hundred keys, asked for every cell of every report
def value_kind(key: str) -> Literal["count", "signed", "amount"]:
    """How a cell's value is typed: whole counts, signed changes (2019 增/减), or 万元 amounts."""
    column = key.rsplit(".", 1)[-1]
    if column == "change":
        return "signed"
    if column == "amount":
        return "amount"
    return "count"


_VERSION_KEYS: dict[TemplateVersion, frozenset[str]] = {
    version: frozenset(key for table in TABLES for key in table_keys(table, version)) for version in ("2019", "2021")
}


def key_version(key: str) -> TemplateVersion | None:
    """The template version a key implies, or None where both versions print it (or it is no key)."""
    in_2019, in_2021 = key in _VERSION_KEYS["2019"], key in _VERSION_KEYS["2021"]
    if in_2019 != in_2021:
        return "2019" if in_2019 else "2021"
    return None
