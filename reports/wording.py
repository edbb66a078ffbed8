"""Framework definitions in plain words, in Chinese and English: what an indicator counts, how it
is normalised, and when an alert rule fires, for the methodology page.

Everything is worded from the framework's own structure (table, measure, filters, numerator,
denominator, goalposts, rule keys), so an evaluator's edited framework is described as it stands
and the Chinese page needs no English text from the framework. Column names and coded values
the contract defines have labels here; anything else is shown as written.
"""
from __future__ import annotations

from reports.i18n import CATEGORY, SEVERITY, STATUS, alert_label, node_label

#: The input contract's columns, as a reader names them.
COLUMNS = {
    "due_on": ("到期日", "due date"), "fulfilled_on": ("履行日期", "date fulfilled"),
    "signed_on": ("签订日期", "date signed"), "status": ("状态", "status"), "kind": ("类型", "kind"),
    "counterparty_sme": ("对方为中小企业", "counterparty is an SME"), "category": ("类别", "category"),
    "severity": ("严重程度", "severity"), "resolved_at": ("办结时间", "time resolved"),
    "due_at": ("办理时限", "handling deadline"), "received_at": ("受理时间", "time received"),
    "satisfaction": ("满意度评价", "satisfaction rating"), "repeat": ("重复投诉", "repeat complaint"),
    "disclosure_due": ("公开期限", "disclosure deadline"), "disclosed_on": ("公开日期", "date disclosed"),
    "amount": ("金额", "amount"), "arrears_amount": ("拖欠金额", "arrears"),
    "debt_balance": ("债务余额", "debt balance"), "fiscal_capacity": ("综合财力", "fiscal capacity"),
    "debt_service": ("当年应还本付息额", "debt service due"), "overdue_amount": ("逾期债务", "overdue debt"),
    "debt_limit": ("债务限额", "debt ceiling"), "occurred_on": ("发生日期", "date occurred"),
    "topic": ("事项", "topic"),
}
#: Coded values of the contract's text columns.
VALUES = {
    **CATEGORY, **STATUS,
    "ongoing": ("履行中", "ongoing"), "fulfilled": ("已履行", "fulfilled"), "late": ("逾期履行", "late"),
    "breached": ("违约", "breached"), "terminated": ("已终止", "terminated"),
    "procurement": ("政府采购", "procurement"), "ppp": ("PPP项目", "PPP"),
    "investment_promotion": ("招商引资", "investment promotion"),
    "policy_commitment": ("政策承诺", "policy commitment"), "court_judgment": ("法院判决", "court judgment"),
    "complaint": ("投诉", "complaint"), "report": ("举报", "report"), "consultation": ("咨询", "consultation"),
    "suggestion": ("建议", "suggestion"), "satisfied": ("满意", "satisfied"), "basic": ("基本满意", "basically satisfied"),
    "dissatisfied": ("不满意", "dissatisfied"),
}
#: What a row of each record table is.
ROWS = {"contracts": ("合同", "contracts"), "complaints": ("12345工单", "12345 tickets"),
        "failure_records": ("政务失信记录", "failure records"), "debt": ("政府债务公开记录", "debt disclosures")}
PER = {"staff": ("每{scale}名工作人员", "per {scale} staff"), "population": ("每{scale}人", "per {scale} residents"),
       "budget": ("每{scale}元预算", "per {scale} yuan of budget")}
OPS = {"eq": ("为", "is"), "ne": ("不为", "is not"), "lt": ("低于", "below"), "le": ("不高于", "at most"),
       "gt": ("高于", "above"), "ge": ("不低于", "at least")}
COLUMN_OPS = {"lt_column": ("早于", "before"), "le_column": ("不晚于", "on or before"),
              "gt_column": ("晚于", "after"), "ge_column": ("不早于", "on or after")}


def _pick(pair, lang):
    return pair[0] if lang == "zh" else pair[1]


def column(name: str, lang: str) -> str:
    return _pick(COLUMNS[name], lang) if name in COLUMNS else name


def value(v, lang: str, col: str | None = None) -> str:
    """A coded value in words (severity numbers by their name)."""
    if col == "severity" and v in SEVERITY:
        return _pick(SEVERITY[v], lang)
    if isinstance(v, bool):
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    if isinstance(v, str) and v in VALUES:
        return _pick(VALUES[v], lang)
    return f"{v:g}" if isinstance(v, float) else str(v)


def condition(c, lang: str) -> str:
    """One filter in words, e.g. "到期日不为空", "履行日期不晚于到期日", "类别为行政处罚".

    Examples
    --------
    >>> from indicators.framework import Condition
    >>> condition(Condition("fulfilled_on", "le_column", "due_on"), "zh")
    '履行日期不晚于到期日'
    >>> condition(Condition("category", "in", ("disciplinary", "accountability")), "en")
    'category is Disciplinary sanction or Accountability finding'
    """
    col, op, v = c.column, c.op, c.value
    name = column(col, lang)
    zh = lang == "zh"
    if op == "is_null":
        return (f"{name}为空" if v else f"{name}不为空") if zh else (f"{name} is empty" if v else f"{name} is given")
    if op in ("in", "not_in"):
        words = ("或" if zh else " or ").join(value(x, lang, col) for x in v)
        neg = op == "not_in"
        return (f"{name}{'不' if neg else ''}为{words}") if zh else f"{name} is {'not ' if neg else ''}{words}"
    if op in COLUMN_OPS:
        return f"{name}{_pick(COLUMN_OPS[op], lang)}{'' if zh else ' '}{column(v, lang)}" if zh else \
            f"{name} {_pick(COLUMN_OPS[op], lang)} the {column(v, lang)}"
    if isinstance(v, bool) and op == "eq":
        return (name if v else f"非{name}") if zh else (name if v else f"not: {name}")
    return f"{name}{_pick(OPS[op], lang)}{value(v, lang, col)}" if zh else \
        f"{name} {_pick(OPS[op], lang)} {value(v, lang, col)}"


def conditions(conds, lang: str) -> str:
    return ("且" if lang == "zh" else " and ").join(condition(c, lang) for c in conds)


def _scale(scale: float) -> str:
    return {100: "百", 10000: "万", 1000: "千"}.get(scale, f"{scale:g}")


def definition(node, lang: str) -> str:
    """What an indicator counts, in words, from its definition.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> fw = load_framework()
    >>> definition(fw.node("penalty_per_100_staff"), "zh").split("；")[0]
    '当年类别为行政处罚的政务失信记录条数，每百名工作人员'
    """
    d = node.definition
    if d is None:
        return ""
    zh = lang == "zh"
    rows = _pick(ROWS.get(d.table, (d.table, d.table)), lang)
    where = conditions(d.where, lang)
    from indicators.contract import TABLES

    t = TABLES.get(d.table)
    own = d.date and t is not None and d.date not in (t.date_column, t.year_column)
    dated = column(d.date, lang) if own else None
    year = (f"当年到期的" if d.date == "due_on" else ("当年" if not dated else f"按{dated}计入当年的")) if zh else (
        "due in the year" if d.date == "due_on" else ("of the year" if not dated else f"dated in the year by {dated}"))
    per = ""
    if d.per:
        pz, pe = PER.get(d.per, ("每{scale}" + d.per, "per {scale} " + d.per))
        per = (pz.format(scale=_scale(d.scale)) if zh else pe.format(scale=f"{d.scale:,.0f}"))
    if d.measure == "share":
        num = conditions(d.numerator, lang)
        text = (f"{year}{rows}{f'（{where}）' if where else ''}中，{num}的比例" if zh else
                f"Share of the {rows} {year}{f' ({where})' if where else ''} where {num}")
    elif d.measure in ("count", "weighted_count"):
        weights = ""
        if d.measure == "weighted_count":
            ws = ("、" if zh else ", ").join(f"{value(_num(k), lang, d.weight_column)}{'计' if zh else ' counts '}{w:g}"
                                            for k, w in d.weights)
            weights = f"按{column(d.weight_column, lang)}加权（{ws}）" if zh else f", weighted by {column(d.weight_column, lang)} ({ws})"
        text = (f"{year}{where + '的' if where else ''}{rows}{weights}条数" if zh else
                f"Number of {rows} {year}{f' where {where}' if where else ''}{weights}")
        if per:
            text += f"，{per}" if zh else f", {per}"
    elif d.measure == "sum":
        text = (f"{year}{where + '的' if where else ''}{rows}{column(d.column, lang)}之和" if zh else
                f"Sum of the {column(d.column, lang)} of the {rows} {year}{f' where {where}' if where else ''}")
        if per:
            text += f"，{per}" if zh else f", {per}"
    elif d.measure == "ratio":
        text = (f"{year}{rows}{f'（{where}）' if where else ''}的{column(d.column, lang)}之和 ÷ "
                f"{column(d.denominator_column, lang)}之和" if zh else
                f"Sum of {column(d.column, lang)} / sum of {column(d.denominator_column, lang)} over the {rows} "
                f"{year}{f' where {where}' if where else ''}")
    elif d.measure == "median_days":
        text = (f"当年受理的{rows}从{column(d.start, lang)}到{column(d.end, lang)}的天数中位数" if zh else
                f"Median days from {column(d.start, lang)} to {column(d.end, lang)} of the {rows} of the year")
    elif d.measure == "mean":
        text = (f"{year}{rows}{column(d.column, lang)}的平均值" if zh else
                f"Mean {column(d.column, lang)} of the {rows} {year}")
    else:
        text = (f"{rows}的{column(d.column or '', lang)}" if zh else f"{column(d.column or '', lang)} of the {rows}")
    extra = []
    if d.window > 1:
        extra.append(f"取截至当年的{d.window}年" if zh else f"over the {d.window} years to the rated year")
    if d.table == "failure_records" or d.table in ("contracts", "complaints"):
        if d.scope == "unit":
            extra.append("仅计本单位的记录" if zh else "the unit's own rows only")
        else:
            extra.append("地区的记录含其所属部门的记录" if zh else "a region's figure includes its departments' rows")
    family = getattr(d, "shrink_family", "none")
    if family and family != "none":
        extra.append("取值为向同组当年平均收缩的经验贝叶斯估计（案例少时更接近同组平均）" if zh else
                     "the value is an empirical-Bayes estimate shrunk toward the peer group's mean of the year "
                     "(closer to that mean on few cases)")
    if d.min_denominator:
        extra.append(f"分母少于{d.min_denominator:g}时不计算" if zh else
                     f"not computed on fewer than {d.min_denominator:g} cases")
    sep = "；" if zh else "; "
    return text + (sep + sep.join(extra) if extra else "") + ("。" if zh else ".")


def _num(k):
    try:
        return int(k)
    except (TypeError, ValueError):
        return k


def _raw(x, unit: str | None) -> str:
    """A goalpost in the indicator's unit (shares as percentages)."""
    if unit and unit.startswith("share"):
        return f"{100 * x:g}%"
    return f"{x:g}"


def normalisation(framework, node, lang: str) -> str:
    """How an indicator's raw value becomes 0-100, in words.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> fw = load_framework()
    >>> normalisation(fw, fw.node("complaint_ontime_rate"), "en").split(":")[0] in ("z-score", "Goalposts", "Min-max")
    True
    """
    name, params = framework.normalisation_of(node)
    zh = lang == "zh"
    if name == "goalposts" and node.goalposts:
        worst, best = (_raw(x, node.unit) for x in node.goalposts)
        return (f"目标值法：{worst}及更差得0分，{best}及更好得100分，其间按比例" if zh else
                f"Goalposts: {worst} or worse scores 0, {best} or better scores 100, linear between")
    if name == "minmax":
        lo, hi = (params or [0, 100])[:2] if params else (0, 100)
        better = "越低越好" if node.direction < 0 else "越高越好"
        return (f"最小-最大法：同组最差值得{lo:g}分，最好值得{hi:g}分，其间按比例（{better}）" if zh else
                f"Min-max: the worst among peers scores {lo:g}, the best {hi:g}, linear between "
                f"({'lower' if node.direction < 0 else 'higher'} is better)")
    if name == "zscore":
        mean, sd = (list(params or ()) + [50.0, 10.0])[:2] if params else (50.0, 10.0)
        return (f"标准分法：同组当年平均为{mean:g}分，每高（好）于平均一个标准差加{sd:g}分" if zh else
                f"z-score: the peer group's mean of the year scores {mean:g}, each standard deviation better adds {sd:g}")
    if name == "rank":
        return "百分位排名法" if zh else "Percentile rank among peers"
    return name


def _target(rule, framework, lang):
    code = rule.get("indicator") or rule.get("target")
    if code in (None, ""):
        return ""
    if code in ("score", framework.code):
        return node_label(framework, lang)
    if code == "grade":
        return "等级" if lang == "zh" else "the grade"
    try:
        return node_label(framework.node(code), lang)
    except KeyError:
        return code


def _threshold(x, rule, framework) -> str:
    code = rule.get("indicator")
    try:
        unit = framework.node(code).unit if code else None
    except KeyError:
        unit = None
    if unit == "ratio":
        return f"{100 * x:g}%"
    return _raw(x, unit)


def alert_rule(rule: dict, framework, lang: str) -> str:
    """When an alert rule fires, in words (levels named in the page's language).

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> fw = load_framework()
    >>> rule = {"kind": "event", "level": "red", "where": [{"column": "category", "eq": "judgment_unperformed"},
    ...                                                   {"column": "severity", "ge": 3}]}
    >>> alert_rule(rule, fw, "zh")
    '当年新增类别为拒不履行生效判决且严重程度不低于严重的政务失信记录时，发出红色预警。'
    """
    zh = lang == "zh"
    k = rule.get("kind")
    what = _target(rule, framework, lang)
    lv = alert_label(rule.get("level"), lang) if rule.get("level") else ""
    fire = f"发出{lv}预警" if zh else f"{lv.lower()} alert"
    n = rule.get("min_denominator") or 0
    base = (f"（仅当分母不少于{n:g}时）" if zh else f" (only with at least {n:g} cases)") if n else ""
    if k == "band":
        bands = ("；" if zh else "; ").join(
            (f"达到{_threshold(b['min'], rule, framework)}为{alert_label(b['level'], lang)}" if zh else
             f"{_threshold(b['min'], rule, framework)} or more: {alert_label(b['level'], lang).lower()}")
            for b in rule["bands"])
        return f"{what}分档预警{base}：{bands}。" if zh else f"{what}, by band{base}: {bands}."
    if k == "threshold":
        op = _pick(OPS.get(rule["op"], (rule["op"], rule["op"])), lang)
        v = _threshold(rule["value"], rule, framework)
        return f"{what}{op}{v}时{base}，{fire}。" if zh else f"When {what} is {op} {v}{base}: {fire}."
    if k == "event":
        if rule.get("where"):
            rows = _pick(ROWS["failure_records"], lang)
            cond = conditions(_conds(rule["where"]), lang)
            return (f"当年新增{cond}的{rows}时，{fire}。" if zh else
                    f"When a {rows[:-1] if rows.endswith('s') else rows} of the year has {cond}: {fire}.")
        v = rule.get("value", 0) or 0
        return (f"{what}高于{v:g}时，{fire}。" if zh else f"When {what} is above {v:g}: {fire}.")
    if k == "trend":
        if "notches" in rule and rule.get("notches"):
            return (f"等级比上年下降{rule['notches']}级及以上时，{fire}。" if zh else
                    f"When the grade falls by {rule['notches']} or more steps on the year: {fire}.")
        if rule.get("fall_sd"):
            return (f"{what}比上年的下降幅度达到同组单位变化标准差的{rule['fall_sd']:g}倍时，{fire}。" if zh else
                    f"When {what} falls on the year by {rule['fall_sd']:g} standard deviations of its peers' "
                    f"changes or more: {fire}.")
        return (f"{what}比上年下降{rule.get('fall', 0):g}分及以上时，{fire}。" if zh else
                f"When {what} falls by {rule.get('fall', 0):g} points or more on the year: {fire}.")
    if k == "peer":
        return (f"{what}连续{rule.get('periods', 2)}年处于同组（同类型、同层级，至少{rule.get('min_peers', 10)}个单位）"
                f"最差的{rule.get('quantile', 0.1):.0%}时，{fire}。" if zh else
                f"When {what} is in the worst {rule.get('quantile', 0.1):.0%} of its peers (same kind and level, at "
                f"least {rule.get('min_peers', 10)} units) {rule.get('periods', 2)} years running: {fire}.")
    if k == "spike":
        return (f"月度投诉举报量远高于本单位此前{rule.get('history', 24)}个月的水平（稳健z值不低于{rule.get('z', 3.5):g}，"
                f"且当月不少于{rule.get('min_tickets', 10)}件，至少有{rule.get('min_history', 12)}个月历史）时，{fire}。"
                if zh else
                f"When a month's complaints are far above the unit's previous {rule.get('history', 24)} months "
                f"(robust z of {rule.get('z', 3.5):g} or more, at least {rule.get('min_tickets', 10)} tickets, "
                f"{rule.get('min_history', 12)} months of history): {fire}.")
    if k == "overdue":
        scope = conditions(_conds(rule.get("where") or []), lang)
        days = rule.get("days", 0)
        return (f"{('（' + scope + '的合同）') if scope else ''}逾期超过{days}天的拖欠金额超过当年应付金额的"
                f"{rule['share']:.0%}时，{fire}。" if zh else
                f"When arrears overdue by more than {days} days exceed {rule['share']:.0%} of the amount due"
                f"{f' (contracts where {scope})' if scope else ''}: {fire}.")
    return str(k)


def _conds(raw):
    """Rule conditions as `Condition`s, whether the framework parsed them or kept the TOML dicts."""
    from indicators.framework import Condition

    out = []
    for c in raw:
        if isinstance(c, Condition):
            out.append(c)
            continue
        col = c.get("column")
        op, v = next(((k, v) for k, v in c.items() if k != "column"), ("eq", None))
        out.append(Condition(col, op, v))
    return out
