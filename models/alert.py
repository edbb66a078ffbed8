"""One rule alert row, shared by every rule kind (models.rules, evidence, dynamics): the target's
label in both languages (also the features' labels) and the messages filled from the rule's
templates or its kind's default (format fields: docs/early-warning.md)."""
from __future__ import annotations

import json
import string

from indicators.framework import Framework

OP_TEXT = {"gt": ("高于", "above"), "ge": ("不低于", "at least"), "lt": ("低于", "below"),
           "le": ("不高于", "at most"), "eq": ("等于", "equal to")}
#: Messages of rules that do not give their own (format fields: see docs/early-warning.md).
DEFAULT_MESSAGES = {
    "band": ("{name}为{value:.4g}，达到{threshold:.4g}预警线", "{name} {value:.4g} reached the {threshold:.4g} warning line"),
    "threshold": ("{name}为{value:.4g}，{op}{threshold:.4g}", "{name} {value:.4g}, {op} {threshold:.4g}"),
    "event": ("{name}：本年度{value:.0f}条", "{name}: {value:.0f} in the year"),
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


class _NamedFields(string.Formatter):
    """Fills `{name}` and `{name:spec}` only: a framework's template may not look up attributes
    or items of the values (`{value.__class__}`), nor positional fields."""

    def get_field(self, field_name, args, kwargs):
        if not field_name.isidentifier():
            raise KeyError(field_name)
        return super().get_field(field_name, args, kwargs)


_FIELDS = _NamedFields()


def _fmt(template: str, **values) -> str:
    try:
        return _FIELDS.format(template, **values)
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


def alert(rule: dict, unit_id: str, year: int, level: str, evidence: dict, *, framework: Framework,
          source: str = "rule", default: tuple[str, str] | None = None, **fields) -> dict:
    """One alert row; the messages are the rule's templates (or `default`, or its kind's default)
    filled with `fields` plus `name` (the target's label in each language) and `op` (thresholds)."""
    what = rule.get("indicator") or rule.get("target")
    zh_name, en_name = names(framework, what) if what else (rule["code"], rule["code"])
    op_zh, op_en = OP_TEXT.get(rule.get("op"), ("", ""))
    zh, en = default or DEFAULT_MESSAGES.get(rule["kind"], (rule["code"], rule["code"]))
    return {
        "unit_id": unit_id, "year": int(year), "level": level, "source": source, "rule": rule["code"],
        "message": _fmt(rule.get("message_zh") or zh, name=zh_name, op=op_zh, **fields),
        "message_en": _fmt(rule.get("message_en") or en, name=en_name, op=op_en, **fields),
        "evidence": json.dumps(evidence, ensure_ascii=False, sort_keys=True, default=str),
    }
