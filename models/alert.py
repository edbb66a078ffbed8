"""One alert row, shared by every alert kind: the alerts table's columns (ALERT_SCHEMA), the
level labels, the messages filled from the rule's templates or its kind's default, the evidence
as plain sentences with formatted figures, and the action, owner and follow-up date declared
for the rule (docs/early-warning.md: the alerts table and the format fields)."""
from __future__ import annotations

import datetime as dt
import functools
import json
import math
import string

import polars as pl

from indicators.framework import ALERT_LEVELS, Framework

#: The alerts table (alerts.csv and the alerts frame), the same for rule, model and hold rows.
ALERT_SCHEMA = {
    "unit_id": pl.String, "year": pl.Int64, "level": pl.String, "source": pl.String, "rule": pl.String,
    "status": pl.String, "origin_unit_id": pl.String,
    "message": pl.String, "message_en": pl.String, "evidence": pl.String,
    "evidence_text": pl.String, "evidence_text_en": pl.String,
    "action": pl.String, "action_en": pl.String, "owner": pl.String, "owner_en": pl.String,
    "follow_up": pl.String, "held_until": pl.String,
}
#: status: an alert counts; a watch-list row is shown but never counted as an alert.
STATUSES = ("alert", "watch")
#: Labels of the levels (their order and severity: indicators.framework.ALERT_LEVELS / ALERT_RANK).
LEVEL_ZH = dict(zip(ALERT_LEVELS, ("红色", "橙色", "黄色", "蓝色")))


class Wording:
    """The parts every alert kind's one-line description shares (models.kinds.*.describe): what
    the rule reads, the denominator it needs, and the level it raises, in both languages."""

    def __init__(self, rule: dict):
        lv = rule.get("level", "")
        self.arrow_zh, self.arrow_en = f" → {LEVEL_ZH.get(lv, lv)}", f" -> {lv}"
        self.what = rule.get("indicator") or rule.get("target") or ""
        n = rule.get("min_denominator") or 0
        self.base_zh, self.base_en = (f"（分母≥{n:g}）", f" (denominator >= {n:g})") if n else ("", "")
LEVEL_EN = dict(zip(ALERT_LEVELS, ("Red", "Orange", "Yellow", "Blue")))
#: Action, responsible body and follow-up days of an alert whose rule declares none, by level.
LEVEL_ACTIONS = {
    "red": ("约谈单位主要负责人，30日内报送整改方案并逐月报告进展", "Interview the unit's head; a rectification plan within 30 days and monthly progress reports",
            "省社会信用体系建设统筹协调机构", "Provincial social credit coordination office", 30),
    "orange": ("书面提醒单位，60日内报送整改情况", "Written reminder to the unit; a rectification report within 60 days",
               "省社会信用体系建设统筹协调机构", "Provincial social credit coordination office", 60),
    "yellow": ("纳入重点关注，下次年度评价时复核", "Add to the watch focus; review at the next annual rating",
               "所在地市社会信用体系建设牵头部门", "City social credit lead department", 90),
    "blue": ("提示单位自查", "Ask the unit for a self-check", "所在地市社会信用体系建设牵头部门",
             "City social credit lead department", 180),
}
OP_TEXT = {"gt": ("高于", "above"), "ge": ("不低于", "at least"), "lt": ("低于", "below"),
           "le": ("不高于", "at most"), "eq": ("等于", "equal to")}
#: Messages of rules that do not give their own (format fields: see docs/early-warning.md).
DEFAULT_MESSAGES = {
    "band": ("{name}为{value:.4g}，达到{threshold:.4g}预警线", "{name} {value:.4g} reached the {threshold:.4g} warning line"),
    "threshold": ("{name}为{value:.4g}，{op}{threshold:.4g}", "{name} {value:.4g}, {op} {threshold:.4g}"),
    "event": ("{name}：本年度{count}条", "{name}: {count} in the year"),
    "trend": ("{name}同比下降{fall:.3g}（{previous:.4g}→{value:.4g}），达到{threshold:.3g}的预警幅度",
              "{name} fell {fall:.3g} year on year ({previous:.4g} -> {value:.4g}), at least the {threshold:.3g} limit"),
    "peer": ("{name}连续{periods}年处于同类单位最差的{quantile:.0%}（本年倒数第{rank}名，共{peers}个）",
             "{name} in the worst {quantile:.0%} of peers for {periods} years running (rank {rank} from the bottom of {peers})"),
    "spike": ("{month}投诉举报{value:.0f}件，远高于本单位此前中位数{median:.0f}件（稳健z值{z:.1f}）",
              "{value:.0f} complaints in {month}, far above the unit's usual {median:.0f} (robust z {z:.1f})"),
    "overdue": ("逾期超过{days}天的拖欠中小企业账款占应付金额{value:.1%}，超过{threshold:.0%}",
                "SME arrears overdue by more than {days} days are {value:.1%} of the amount due, above {threshold:.0%}"),
}
MAX_IDS = 20  # record ids listed in one alert's evidence (the total is always given)
SHOWN_IDS = 5  # record ids written out in the evidence sentence


class _NamedFields(string.Formatter):
    """Fills `{name}` and `{name:spec}` only: a framework's template may not look up attributes
    or items of the values (`{value.__class__}`), nor positional fields."""

    def get_field(self, field_name, args, kwargs):
        if not field_name.isidentifier():
            raise KeyError(field_name)
        return super().get_field(field_name, args, kwargs)


_FIELDS = _NamedFields()


@functools.lru_cache(maxsize=256)
def _named_only(template: str) -> bool:
    """Whether every field of `template` (and of its format specs) is a plain name, so that
    str.format_map fills it exactly as _NamedFields would, at a fraction of the cost."""
    try:
        for _, name, spec, _ in _FIELDS.parse(template):
            if name is not None and (not name.isidentifier() or (spec and not _named_only(spec))):
                return False
    except ValueError:
        return False
    return True


def _fmt(template: str, **values) -> str:
    try:
        return template.format_map(values) if _named_only(template) else _FIELDS.format(template, **values)
    except (KeyError, ValueError, IndexError, TypeError, AttributeError):
        return template


def names(framework: Framework, code: str | None) -> tuple[str, str]:
    """(zh, en) label of an indicator, aggregate, "score" or "grade"."""
    if code in ("score", framework.code):
        return framework.name_zh or "综合得分", framework.name_en or "Composite score"
    if code == "grade":
        return "等级", "Grade"
    try:
        n = framework.node(code)
    except KeyError:
        return str(code), str(code)
    return n.name_zh, n.name_en


def unit_of(framework: Framework, code: str | None) -> str:
    """The declared unit of an indicator ("share", "ratio", "days", "yuan ...", ...; "" if none)."""
    try:
        return str(getattr(framework.node(code), "unit", "") or "") if code else ""
    except KeyError:
        return ""


def figure(value, unit: str = "") -> tuple[str, str]:
    """(zh, en) text of a figure in its unit: shares and ratios in %, money in 万元, days, and
    counts as whole numbers only when they are whole (a count of 0.5 is never written "0").

    Examples
    --------
    >>> figure(0.753, "share"), figure(3.12, "ratio"), figure(1234567, "yuan")
    (('75.3%', '75.3%'), ('312.0%', '312.0%'), ('123.46万元', 'CNY 1,234,567'))
    >>> figure(0.5, "records"), figure(12.0, "days")
    (('0.5', '0.5'), ('12天', '12 days'))
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—", "—"
    v = float(value)
    u = unit.lower()
    if u.startswith(("share", "ratio")):
        return f"{v:.1%}", f"{v:.1%}"
    if u == "yuan" or u.startswith("yuan "):
        return f"{v / 1e4:,.2f}万元", f"CNY {v:,.0f}"
    if u == "days":
        n = f"{v:.0f}" if v == int(v) else f"{v:.1f}"
        return f"{n}天", f"{n} days"
    n = f"{v:,.0f}" if v == int(v) else f"{v:,.4g}"
    return n, n


def id_text(ids: list, total: int) -> tuple[str, str]:
    """(zh, en) list of record ids, the first SHOWN_IDS and how many more."""
    shown = ", ".join(str(i) for i in ids[:SHOWN_IDS])
    more = total - min(len(ids), SHOWN_IDS)
    return (f"{shown}{f' 等{total}条' if more > 0 else ''}", f"{shown}{f' and {more} more' if more > 0 else ''}")


def follow_up_date(year: int, days: int) -> str:
    """ISO date of the follow-up: `days` after 30 June of the year after the alert year (when
    the annual rating of the year is published).

    Examples
    --------
    >>> follow_up_date(2025, 30)
    '2026-07-30'
    """
    return (dt.date(int(year) + 1, 6, 30) + dt.timedelta(days=int(days))).isoformat()


def action_of(rule: dict, level: str) -> dict:
    """The action, owner and follow-up days of a rule (its own, else its level's defaults)."""
    a_zh, a_en, o_zh, o_en, days = LEVEL_ACTIONS.get(level, LEVEL_ACTIONS["blue"])
    return {"action": rule.get("action_zh") or a_zh, "action_en": rule.get("action_en") or a_en,
            "owner": rule.get("owner_zh") or o_zh, "owner_en": rule.get("owner_en") or o_en,
            "days": int(rule.get("follow_up_days") or days)}


def row(*, unit_id: str, year: int, level: str, source: str, rule: str, status: str, origin_unit_id: str,
        message: tuple[str, str], evidence: dict, evidence_text: tuple[str, str], todo: dict,
        held_until: str | None = None) -> dict:
    """One row of ALERT_SCHEMA."""
    return {
        "unit_id": unit_id, "year": int(year), "level": level, "source": source, "rule": rule, "status": status,
        "origin_unit_id": origin_unit_id, "message": message[0], "message_en": message[1],
        "evidence": json.dumps(evidence, ensure_ascii=False, sort_keys=True, default=str),
        "evidence_text": evidence_text[0], "evidence_text_en": evidence_text[1],
        "action": todo["action"], "action_en": todo["action_en"], "owner": todo["owner"], "owner_en": todo["owner_en"],
        "follow_up": follow_up_date(year, todo["days"]), "held_until": held_until,
    }


def alert(rule: dict, unit_id: str, year: int, level: str, evidence: dict, *, framework: Framework,
          text: tuple[str, str], source: str = "rule", default: tuple[str, str] | None = None,
          origin: str | None = None, **fields) -> dict:
    """One rule alert row; the messages are the rule's templates (or `default`, or its kind's
    default) filled with `fields` plus `name` (the target's label in each language) and `op`;
    `text` is the evidence in plain sentences; `origin` the unit whose record or figure it is."""
    what = rule.get("indicator") or rule.get("target")
    zh_name, en_name = names(framework, what) if what else (rule["code"], rule["code"])
    op_zh, op_en = OP_TEXT.get(rule.get("op"), ("", ""))
    zh, en = default or DEFAULT_MESSAGES.get(rule["kind"], (rule["code"], rule["code"]))
    message = (_fmt(rule.get("message_zh") or zh, name=zh_name, op=op_zh, **fields),
               _fmt(rule.get("message_en") or en, name=en_name, op=op_en, **fields))
    if rule.get("legal_basis"):
        evidence = {**evidence, "legal_basis": rule["legal_basis"]}
    return row(unit_id=unit_id, year=year, level=level, source=source, rule=rule["code"],
               status=rule.get("status") or "alert", origin_unit_id=origin or unit_id, message=message,
               evidence=evidence, evidence_text=text, todo=action_of(rule, level))


def frame(rows: list[dict]) -> pl.DataFrame:
    """Alert rows as a frame of ALERT_SCHEMA."""
    return pl.DataFrame(rows, schema=ALERT_SCHEMA)
