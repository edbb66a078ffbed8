"""The early-warning model on the methodology page (internal edition only): the model card
(target, data window, features, estimators, the chosen model and cut-offs per year), the pooled
metrics of every model beside the naive baselines, the backtest table, and — from the
out-of-time predictions — ROC curves and a calibration chart, each with a table of its numbers.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from indicators.framework import ALERT_LEVELS
from reports import charts, fmt, plots
from reports.alerts_page import rule_names
from reports.i18n import CATEGORY, alert_label, lookup, message
from reports.labels import MODEL_NAMES
from reports.peers import group_label
from reports.tables import Inputs

METRICS = ("auroc", "average_precision", "precision_at_k", "brier", "usefulness_ad", "usefulness_sarlin")
COLOURS = {"selected": "#0b5cad", "logit": "#1a7f37", "gbm": "#d98c00", "naive_last_event": "#8c959f",
           "naive_last_score": "#6a1b9a"}
CURVE_POINTS = 300  # most points drawn per ROC curve (the table carries the exact figures)
FPR_AT = (0.1, 0.2)
#: Card keys shown in their own place; any other key is listed as it is, after the summary.
KNOWN = {"target", "chosen_model", "beats_naive", "selected_by", "calibration", "validation", "cutoff_rule",
         "hold_periods", "seed", "model_version", "software_version", "data_window", "estimators", "features",
         "n_features", "metrics", "chosen_by_year", "cutoffs_by_year", "config", "framework", "candidates",
         "baselines", "cutoffs", "cutoff_mu", "auroc_by_year", "level_lift", "level_share", "base_rate_by_year",
         "level_backtest", "rule_backtest", "calibration_by_group", "value_added"}
#: Captions and column heads of the card's tables of what reaches the user, (zh, en).
TABLE_TEXT = {
    "level": ("各预警等级的回测（次年事件率、相对基准率的倍数、捕获事件占比）",
              "Backtest per alert level (next-year event rate, lift over the base rate, share of events caught)"),
    "rules_caption": ("各预警规则的回测（合并各回测年度）", "Backtest per alert rule (pooled over the backtest years)"),
    "group": ("分同类组的校准", "Calibration per peer group"),
    "value": ("模型相对规则的增益（同等预警数量）", "Value added by the model beyond the rules (same alert volume)"),
    "year": ("年度", "Year"), "alert_level": ("预警等级", "Level"), "units": ("单位数", "Units"),
    "share_of_units": ("占单位比例", "Share of units"), "events": ("次年事件数", "Next-year events"),
    "event_rate": ("次年事件率", "Next-year event rate"), "lift": ("倍数", "Lift"),
    "share_of_events": ("捕获事件占比", "Share of events caught"), "rule": ("规则", "Rule"),
    "status": ("状态", "Status"), "fires_per_year": ("年均触发", "Fires per year"), "group_name": ("同类组", "Peer group"),
    "n": ("单位年", "Unit-years"), "mean_probability": ("平均预测概率", "Mean probability"),
    "observed_over_predicted": ("实际/预测", "Observed / predicted"), "auroc": ("AUROC", "AUROC"),
    "top_decile_probability": ("前10%平均概率", "Top tenth: mean probability"),
    "top_decile_event_rate": ("前10%事件率", "Top tenth: event rate"),
    "pooled": ("合计", "Pooled"), "none": ("无预警", "No alert"), "all": ("任一等级", "Any level"),
    "alert": ("计入预警", "Alert"), "watch": ("观察名单", "Watch list"),
    "auroc_rules": ("仅规则：AUROC", "Rules alone: AUROC"), "auroc_rules_plus_model": ("规则加模型：AUROC", "Rules plus model: AUROC"),
    "auroc_model": ("模型：AUROC", "Model: AUROC"), "rule_alerts": ("规则预警单位年", "Unit-years with a rule alert"),
    "events_caught_rules": ("规则捕获事件", "Events caught by the rules"),
    "events_caught_model_same_volume": ("同等数量下模型捕获事件", "Events caught by the model at the same volume"),
    "alerts_rules_plus_model": ("规则或模型预警单位年", "Unit-years with a rule or model alert"),
    "events_caught_rules_plus_model": ("规则或模型捕获事件", "Events caught by rules or model"),
    "unit_years": ("单位年", "Unit-years"),
}
#: The estimators in Chinese, worded from the card's `config` values (the card holds them in English only).
ESTIMATORS_ZH = {
    "logit": "中位数插补 + 标准化 + L2 正则逻辑回归（C = {logit_c}），变量为综合得分、其三年均值、"
             "所属地区及该地区各部门的得分、单位类别和层级",
    "gbm": "中位数插补 + 直方图梯度提升树（{gbm_trees} 棵树，深度 {gbm_depth}，学习率 {gbm_learning_rate}，"
           "每棵树使用全部训练行，每次分裂尝试的特征比例 {gbm_max_features}）",
    "naive_last_event": "按当年是否发生事件给出次年事件率（训练年度的频率）",
    "naive_last_score": "以当年综合得分为唯一变量的逻辑回归",
}
CALIBRATION_ZH = {"sigmoid": "sigmoid（Platt）", "isotonic": "保序回归"}
VALIDATION_ZH = ("滚动起点：预测第 t 年时，只用 s+1 ≤ t 的年度对 (s, s+1) 拟合；"
                 "第 t 年所用的模型和分界值均在 t 之前的年度上选定")
SCOPE = {"region": ("含所属部门", "region (a region's events include its departments')"),
         "unit": ("仅本单位", "the unit alone")}
#: Labels of the model settings shown in the configuration block, (zh, en); keys not listed are
#: not shown on the Chinese page, and a text in one language only on its own page.
CONFIG_LABELS = {
    "event_severity": ("事件最低严重程度", "Least event severity"), "event_scope": ("事件范围", "Event scope"),
    "min_train_years": ("开始预测前所需的有标签年数", "Labelled years needed before a year is predicted"),
    "select_by": ("选择模型的指标", "Metric that chooses the model"),
    "top_k": ("前 k 位精确率的 k", "k of the precision at the top k"),
    "mu": ("有用性指标中对捕获事件的偏好（μ）", "Preference for catching events in usefulness (μ)"),
    "hold_periods": ("预警保持期数", "Periods an alert level is held"),
    "action_zh": ("模型预警的处置措施", None), "action_en": (None, "Action on a model alert"),
    "owner_zh": ("责任机构", None), "owner_en": (None, "Responsible office"),
    "follow_up_days": ("跟进天数（0：按预警等级）", "Days to follow up (0: the level's)"),
    "logit_c": ("逻辑回归正则参数 C", "Logistic regression: C"),
    "gbm_trees": ("梯度提升树：树的数量", "Gradient boosting: trees"),
    "gbm_depth": ("梯度提升树：树深", "Gradient boosting: depth"),
    "gbm_learning_rate": ("梯度提升树：学习率", "Gradient boosting: learning rate"),
    "gbm_max_features": ("梯度提升树：每次分裂尝试的特征比例", "Gradient boosting: share of features per split"),
    "calibration": ("概率校准方法", "Probability calibration"),
    "calibration_folds": ("校准折数", "Calibration folds"),
    "explain_top": ("每个单位列出的主要风险因素数", "Risk factors listed per unit"),
}


def model_name(code, lang: str) -> str:
    return lookup(MODEL_NAMES, code, lang)


def _join(v) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v) if v else fmt.DASH
    return fmt.text(v)


def summary(inp: Inputs, card: dict) -> list[dict]:
    t, lang = inp.t, inp.lang
    rows = []
    target = card.get("target") or {}
    mdl = {**(inp.framework.model or {}), **target}
    if mdl.get("event_categories"):
        cats = ("、" if lang == "zh" else "; ").join(lookup(CATEGORY, c, lang) for c in mdl["event_categories"])
        text = message("model_target_text", lang, severity=mdl.get("event_severity", ""), categories=cats)
        rows.append((t["model_target"], text + (t["scope_region"] if mdl.get("event_scope") == "region" else "")))
    elif target.get("definition_zh" if lang == "zh" else "definition_en"):
        rows.append((t["model_target"], target["definition_zh" if lang == "zh" else "definition_en"]))
    if target.get("horizon_years"):
        rows.append((t["horizon"], message("horizon_years", lang, n=target["horizon_years"])))
    if card.get("chosen_model"):
        rows.append((t["chosen_model"], model_name(card["chosen_model"], lang)))
    if card.get("selected_by"):
        rows.append((t["selected_by"], t.get(f"metric_{card['selected_by']}", fmt.text(card["selected_by"]))))
    if "beats_naive" in card:
        rows.append((t["beats_naive"], t["yes"] if card["beats_naive"] else t["no"]))
    for key, label in (("calibration", "calibration"), ("validation", "validation"),
                       ("cutoff_rule", "cutoff_rule"), ("hold_periods", "hold_periods"), ("seed", "seed"),
                       ("model_version", "model_version"), ("software_version", "software_version")):
        if key in card:
            rows.append((t[label], described(key, card, lang)))
    if not inp.risk.is_empty():
        rows.append((t["model_predictions"], fmt.integer(inp.risk.height)))
    w = card.get("data_window") or {}
    for key, label in (("feature_years", "feature_years"), ("labelled_years", "labelled_years"),
                       ("predicted_years", "model_years"), ("training_years_of_last_model", "training_years_last"),
                       ("units", "units_count"), ("rows", "unit_years"), ("labelled_rows", "labelled_rows"),
                       ("events", "events")):
        if key in w:
            v = w[key]
            if key == "feature_years" and isinstance(v, list) and len(v) == 2:
                v = f"{v[0]}–{v[1]}"
            rows.append((t[label], _join(v) if not isinstance(v, int) else fmt.integer(v)))
    for key in sorted(k for k in card if k not in KNOWN):
        v = card[key]
        rows.append((str(key), fmt.num(v, 3) if isinstance(v, float) else _join(v)))
    return [{"label": a, "value": b} for a, b in rows]


def _fill(template: str, cfg: dict) -> str:
    """`template` with the card's config values; a value the card does not give shows as a dash."""
    return template.format_map({k: fmt.text(v) for k, v in cfg.items()} | {
        k: fmt.DASH for k in ("logit_c", "gbm_trees", "gbm_depth", "gbm_learning_rate",
                              "gbm_max_features") if k not in cfg})


def _levels_text(values: dict, fmt_one, lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(f"{alert_label(lv, lang)} {fmt_one(values[lv])}" for lv in ALERT_LEVELS if lv in values)


def described(key: str, card: dict, lang: str) -> str:
    """The card's calibration, validation or cut-off rule in the page language: the card's own
    English sentence on the English page; on the Chinese page worded here from its structured values."""
    if lang != "zh":
        return _join(card[key])
    cfg = card.get("config") or {}
    if key == "calibration":
        method = cfg.get("calibration")
        folds = cfg.get("calibration_folds")
        if method is None or folds is None:
            return CALIBRATION_ZH.get(str(method), fmt.DASH)
        return (f"{CALIBRATION_ZH.get(method, fmt.text(method))}，按训练年度分为 {folds} 折（年份除以 {folds} 的余数）："
                "在其余年度上拟合，在该折年度上校准；取各折的平均")
    if key == "validation":
        return VALIDATION_ZH
    if key == "cutoff_rule":
        lift = card.get("level_lift") or cfg.get("level_lift") or {}
        share = card.get("level_share") or cfg.get("level_share") or {}
        text = ("预测概率不低于基准率（模型所学年度的事件率）的一定倍数时列入模型预警等级，每级不超过当年参评单位的一定比例，"
                "按概率从高到低列入；倍数和比例在框架中固定，不逐年重新优化")
        if lift:
            text += f"。倍数：{_levels_text(lift, lambda v: f'{fmt.num(v, 1)} 倍', lang)}"
        if share:
            text += f"；比例上限：{_levels_text(share, lambda v: fmt.pct(v, 0), lang)}"
        return text
    return _join(card[key])


def estimator_text(code: str, text, card: dict, lang: str) -> str:
    """An estimator's description in the page language (Chinese worded from the card's config)."""
    if lang != "zh":
        return fmt.text(text)
    template = ESTIMATORS_ZH.get(code)
    return _fill(template, card.get("config") or {}) if template else model_name(code, lang)


def config_rows(card: dict, t: dict, lang: str) -> list[dict]:
    """The model settings with a label in the page language; on the Chinese page only the keys
    it can name, on the English page any other key under its code."""
    out = []
    cfg = card.get("config") or {}
    order = {k: i for i, k in enumerate(CONFIG_LABELS)}
    for k, v in sorted(cfg.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
        if isinstance(v, (dict, list)):
            continue
        zh, en = CONFIG_LABELS.get(k, (None, k))
        label = zh if lang == "zh" else en
        if label is None:
            continue
        if k == "event_scope" and v in SCOPE:
            v = SCOPE[v][0 if lang == "zh" else 1]
        elif k == "select_by":
            v = t.get(f"metric_{v}", v)
        elif k == "calibration" and lang == "zh":
            v = CALIBRATION_ZH.get(v, v)
        out.append({"label": label, "code": k if lang != "zh" else "", "value": _join(v)})
    return out


def _role(code: str, card: dict, t: dict) -> str:
    if code == "selected":
        return t["role_selected"]
    if code in (card.get("baselines") or ()) or code.startswith("naive_"):
        return t["role_baseline"]
    return t["role_candidate"]


def _model_order(codes, card: dict) -> list[str]:
    first = [*(card.get("candidates") or ()), "selected", *(card.get("baselines") or ())]
    return [c for c in first if c in codes] + sorted(c for c in codes if c not in first)


def metrics_table(inp: Inputs, card: dict, backtest: pl.DataFrame | None) -> list[dict]:
    """Pooled out-of-time metrics of every model (the backtest's pooled rows, else the card's)."""
    if backtest is not None and not backtest.is_empty() and "model" in backtest.columns:
        pooled = {r["model"]: r for r in backtest.filter(pl.col("year").is_null()).iter_rows(named=True)}
    else:
        pooled = dict(card.get("metrics") or {})
    out = []
    for code in _model_order(pooled, card):
        m = pooled[code]
        out.append({"code": code, "label": model_name(code, inp.lang), "role": _role(code, card, inp.t),
                    "n": fmt.integer(m.get("n")), "events": fmt.integer(m.get("events")),
                    "values": [fmt.num(m.get(k), 3) for k in METRICS], "selected": code == "selected"})
    return out


def by_year(inp: Inputs, card: dict) -> list[dict]:
    chosen, cuts = card.get("chosen_by_year") or {}, card.get("cutoffs_by_year") or {}
    return [{"year": y, "model": model_name(chosen.get(y), inp.lang),
             "cutoffs": [fmt.pct((cuts.get(y) or {}).get(lv), 0) for lv in ALERT_LEVELS]}
            for y in sorted(set(chosen) | set(cuts))]


def backtest_rows(inp: Inputs, card: dict, backtest: pl.DataFrame | None) -> list[dict]:
    """Every row of the backtest frame: per model and year, then the pooled row."""
    if backtest is None or backtest.is_empty() or "model" not in backtest.columns:
        return []
    out = []
    for code in _model_order(set(backtest["model"].to_list()), card):
        sub = backtest.filter(pl.col("model") == code).sort("year", nulls_last=True)
        for r in sub.iter_rows(named=True):
            out.append({"label": model_name(code, inp.lang), "pooled": r.get("year") is None,
                        "year": inp.t["pooled"] if r.get("year") is None else r["year"],
                        "n": fmt.integer(r.get("n")), "events": fmt.integer(r.get("events")),
                        "values": [fmt.num(r.get(k), 3) for k in METRICS]})
    return out


def roc_points(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fpr, tpr) at every distinct threshold, from (0, 0) to (1, 1).

    Examples
    --------
    >>> f, t = roc_points(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1]))
    >>> f.tolist(), t.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    order = np.argsort(-p, kind="stable")
    y, p = y[order], p[order]
    last = np.r_[np.flatnonzero(np.diff(p)), len(p) - 1]
    tps = np.cumsum(y)[last]
    fps = last + 1 - tps
    return np.r_[0.0, fps / max(len(y) - y.sum(), 1)], np.r_[0.0, tps / max(y.sum(), 1)]


def _labelled(predictions: pl.DataFrame | None) -> pl.DataFrame | None:
    need = {"model", "probability", "target"}
    if predictions is None or predictions.is_empty() or not need <= set(predictions.columns):
        return None
    df = predictions.filter(pl.col("target").is_not_null() & pl.col("probability").is_not_null())
    return df if df.height and df["target"].n_unique() == 2 else None


def roc_section(inp: Inputs, card: dict, predictions: pl.DataFrame | None) -> dict | None:
    df = _labelled(predictions)
    if df is None:
        return None
    curves, rows = [], []
    for code in _model_order(set(df["model"].to_list()), card):
        sub = df.filter(pl.col("model") == code)
        y, p = sub["target"].cast(pl.Int64).to_numpy(), sub["probability"].to_numpy()
        if not 0 < y.sum() < len(y):
            continue
        fpr, tpr = roc_points(y, p)
        auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
        keep = np.unique(np.r_[np.linspace(0, len(fpr) - 1, min(len(fpr), CURVE_POINTS)).astype(int)])
        curves.append({"label": f"{model_name(code, inp.lang)} ({auc:.3f})", "fpr": fpr[keep].tolist(),
                       "tpr": tpr[keep].tolist(), "colour": COLOURS.get(code, "#545454"),
                       "width": 2.4 if code == "selected" else 1.2})
        at = [float(np.max(tpr[fpr <= f])) for f in FPR_AT]
        rows.append({"label": model_name(code, inp.lang), "role": _role(code, card, inp.t), "n": fmt.integer(len(y)),
                     "auroc": fmt.num(auc, 3), "at": [fmt.pct(v, 0) for v in at]})
    if not curves:
        return None
    t = inp.t
    desc = "; ".join(f"{r['label']}: AUROC {r['auroc']}" for r in rows)
    return {"svg": plots.roc_curves(curves, xlabel=t["fpr"], ylabel=t["tpr"], title=t["roc"], desc=desc,
                                    chance=charts.MISSING_COLOUR), "rows": rows,
            "at": [message("tpr_at", inp.lang, fpr=fmt.pct(f, 0)) for f in FPR_AT]}


def calibration_section(inp: Inputs, predictions: pl.DataFrame | None, bins: int = 10) -> dict | None:
    """Reliability of the probabilities actually used (`selected`), in groups of equal size."""
    df = _labelled(predictions)
    if df is None:
        return None
    sub = df.filter(pl.col("model") == "selected")
    if sub.is_empty():
        return None
    y, p = sub["target"].cast(pl.Float64).to_numpy(), sub["probability"].to_numpy()
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    group = np.searchsorted(edges[1:-1], p, side="right")
    points = []
    for g in range(len(edges) - 1):
        hit = group == g
        if hit.any():
            points.append({"n": int(hit.sum()), "predicted": float(p[hit].mean()), "observed": float(y[hit].mean()),
                           "range": f"{fmt.pct(edges[g], 1)}–{fmt.pct(edges[g + 1], 1)}"})
    t = inp.t
    desc = "; ".join(f"{fmt.pct(x['predicted'], 1)} → {fmt.pct(x['observed'], 1)}" for x in points)
    rows = [{"bin": i + 1, "range": x["range"], "n": fmt.integer(x["n"]), "predicted": fmt.pct(x["predicted"], 1),
             "observed": fmt.pct(x["observed"], 1)} for i, x in enumerate(points)]
    return {"svg": plots.calibration(points, xlabel=t["mean_predicted"], ylabel=t["observed_rate"],
                                     title=t["calibration_chart"], desc=desc, diagonal=charts.MISSING_COLOUR),
            "rows": rows}


def features(inp: Inputs, card: dict) -> list[dict]:
    from models.features import label

    codes = [str(c) for c in card.get("features") or ()]
    # a rule feature by the rule's name (as on the alerts page), never its code
    rules = rule_names(inp.framework, [c.partition(":")[2] for c in codes if c.startswith("rule:")], inp.lang)
    out = []
    for code in codes:
        family, _, rest = code.partition(":")
        if family == "rule":
            out.append({"code": code, "label": ("规则预警：" if inp.lang == "zh" else "Rule alert: ") + rules[rest]})
            continue
        try:
            zh, en = label(code, inp.framework)
        except Exception:  # a feature the current framework cannot name: show its code
            zh = en = code
        out.append({"code": code, "label": zh if inp.lang == "zh" else en})
    return out


def _tx(key: str, lang: str) -> str:
    zh, en = TABLE_TEXT.get(key, (key, key))
    return zh if lang == "zh" else en


def _group_name(code, lang: str) -> str:
    """A peer group of the calibration table ("region/city", "all") by name."""
    if code in (None, "all"):
        return _tx("pooled", lang)
    kind, _, level = str(code).partition("/")
    return group_label(kind, level or None, lang)


def outcome_tables(inp: Inputs, card: dict) -> list[dict]:
    """The card's tables of what reaches the user: per level and year, per rule, per peer group,
    and the model's value added; each {id, caption, head, rows (cells as text), groups}."""
    lang = inp.lang
    out = []
    lv = card.get("level_backtest") or []
    if lv:
        cols = ("units", "share_of_units", "events", "event_rate", "lift", "share_of_events")
        rows = sorted(lv, key=lambda r: (r["year"] is None, r["year"] or 0))
        out.append({"id": "model-levels", "caption": _tx("level", lang),
                    "head": [_tx("year", lang), _tx("alert_level", lang), *[_tx(c, lang) for c in cols]],
                    "rows": [{"pooled": r["year"] is None,
                              "cells": [_tx("pooled", lang) if r["year"] is None else str(r["year"]),
                                        alert_label(r["level"], lang) if r["level"] in ALERT_LEVELS else _tx("none", lang),
                                        fmt.integer(r["units"]), fmt.pct(r["share_of_units"], 1), fmt.integer(r["events"]),
                                        fmt.pct(r["event_rate"], 1), fmt.num(r["lift"], 2), fmt.pct(r["share_of_events"], 1)]}
                             for r in rows]})
    rules = card.get("rule_backtest") or []
    if rules:
        names = rule_names(inp.framework, sorted({r["rule"] for r in rules}), lang)
        cols = ("fires_per_year", "event_rate", "lift", "share_of_events")
        out.append({"id": "model-rules", "caption": _tx("rules_caption", lang),
                    "head": [_tx("rule", lang), _tx("alert_level", lang), _tx("status", lang), *[_tx(c, lang) for c in cols]],
                    "rows": [{"pooled": False,
                              "cells": [names.get(r["rule"], fmt.text(r["rule"])),
                                        alert_label(r["level"], lang) if r["level"] in ALERT_LEVELS else _tx("all", lang),
                                        _tx(r["status"], lang), fmt.num(r["fires_per_year"], 1), fmt.pct(r["event_rate"], 1),
                                        fmt.num(r["lift"], 2), fmt.pct(r["share_of_events"], 1)]} for r in rules]})
    groups = card.get("calibration_by_group") or []
    if groups:
        cols = ("n", "events", "mean_probability", "event_rate", "observed_over_predicted", "auroc",
                "top_decile_probability", "top_decile_event_rate")
        pct = {"mean_probability", "event_rate", "top_decile_probability", "top_decile_event_rate"}
        out.append({"id": "model-groups", "caption": _tx("group", lang),
                    "head": [_tx("group_name", lang), *[_tx(c, lang) for c in cols]],
                    "rows": [{"pooled": r["group"] == "all",
                              "cells": [_group_name(r["group"], lang), *[fmt.pct(r[c], 1) if c in pct else
                                                                fmt.integer(r[c]) if c in ("n", "events") else fmt.num(r[c], 3)
                                                                for c in cols]]} for r in groups]})
    value = card.get("value_added") or {}
    if value:
        out.append({"id": "model-value-added", "caption": _tx("value", lang), "head": ["", ""],
                    "rows": [{"pooled": False, "cells": [_tx(k, lang), fmt.num(v, 3) if isinstance(v, float) else fmt.integer(v)]}
                             for k, v in value.items()]})
    return out


def model_section(inp: Inputs, card: dict | None, backtest: pl.DataFrame | None = None,
                  predictions: pl.DataFrame | None = None) -> dict | None:
    """Everything the methodology page says about the model; None in the public edition or when
    there is nothing to say."""
    if not inp.internal or (inp.risk.is_empty() and not card and backtest is None and predictions is None):
        return None
    card = dict(card or {})
    est = card.get("estimators") or {}
    return {
        "summary": summary(inp, card),
        "estimators": [{"label": model_name(k, inp.lang), "role": _role(k, card, inp.t), "text": estimator_text(k, v, card, inp.lang)}
                       for k, v in est.items()],
        "features": features(inp, card),
        "metrics": metrics_table(inp, card, backtest), "metric_names": [inp.t[f"metric_{k}"] for k in METRICS],
        "by_year": by_year(inp, card), "levels": [{"level": lv, "label": alert_label(lv, inp.lang)} for lv in ALERT_LEVELS],
        "backtest": backtest_rows(inp, card, backtest),
        "roc": roc_section(inp, card, predictions), "calibration": calibration_section(inp, predictions),
        "config": config_rows(card, inp.t, inp.lang),
        "outcomes": outcome_tables(inp, card),
    }
