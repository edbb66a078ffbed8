"""Messages of the early-warning, uncertainty and COINr sections, in Chinese and English.

Merged into `reports.i18n.MESSAGES` (the templates read them as `t.<key>` like every other);
kept apart only to keep each module short. Codes the data carry (models, alert kinds, outlook,
sensitivity factors) are looked up in the tables at the end.
"""
from __future__ import annotations

# key -> (zh, en)
MESSAGES: dict[str, tuple[str, str]] = {
    # uncertainty with the data redrawn (methodology; docs/uncertainty.md)
    "uncertainty_text_data": ("每次重复都按各指标值背后的记录数重新抽取其数值（数据误差），在每个维度内有放回地重抽指标"
                              "（哪些指标反映诚信的不确定性），并将每个权重乘以U(1−{noise}, 1+{noise})的随机因子，"
                              "然后重新标准化、汇总和排名，共{n}次；排名区间为5%与95%分位数，并列单位共享其所占名次。",
                              "Each of {n} replications redraws every indicator value from the counts behind it (data "
                              "uncertainty), resamples the indicators of each dimension with replacement (uncertainty "
                              "about which indicators measure integrity) and multiplies every weight by a random factor "
                              "from U(1−{noise}, 1+{noise}), then normalises, aggregates and ranks again; the rank "
                              "interval is the 5th to 95th percentile, and tied units share the ranks they occupy."),
    # outlook, vetoes and overrides (unit page)
    "unit_vetoes": ("一票否决", "Vetoes"),
    "veto_cap": ("一票否决：等级由{before}降为{after}", "Veto: grade capped from {before} to {after}"),
    "analyst_override": ("人工等级调整", "Analyst override"),
    "no_override": ("无人工调整", "No override"),
    "grade_before": ("调整前等级", "Grade before"),
    "grade_after": ("调整后等级", "Grade after"),
    "analyst": ("调整人", "Analyst"),
    "override_note": ("人工调整只改变等级，不改变得分和排名。",
                      "An override changes the grade only, never the score or the rank."),
    # where the points were lost, counts behind values, evidence (unit page)
    "losses": ("失分在哪里", "Where the points were lost"),
    "losses_text": ("得分{score}：在低于同类单位平均水平的指标上共失{lost}分；失分最多的{n}项合计{top}分。",
                    "Score {score}: {lost} points lost on the indicators where the unit falls below its peers' "
                    "average; the {n} largest losses account for {top}."),
    "losses_note": ("失分 = 该指标在得分中的实际权重 × (同类单位该指标标准化值的平均 − 本单位标准化值)，"
                    "只列低于同类平均的指标；按失分从大到小排列。",
                    "Points lost = the weight the indicator carried in the score × (the peer group's mean "
                    "normalised value − the unit's); only indicators below the peers' mean; largest first."),
    "no_losses": ("没有失分的指标。", "No indicator cost points."),
    "largest_losses": ("失分最多", "Largest losses"),
    "counts_behind": ("计算依据", "Counts behind it"),
    "thin_value": ("样本过少（{n}个，少于{min}个），数值仅供参考", "Too few cases ({n}, fewer than {min}): read with care"),
    "thin_value_bare": ("样本过少，数值仅供参考", "Too few cases: read with care"),
    "thin_mark": ("样本少", "few cases"),
    "records_count": ("记录", "Records"),
    "see_evidence": ("见下方依据", "see the evidence below"),
    "counts_in": ("计入指标", "Counts in"),
    "evidence_records": ("扣分依据：失信记录（每条记录只列一次）", "Evidence: failure records (each listed once)"),
    "evidence_records_note": ("按所影响指标的失分从大到小排列；一条记录可同时计入多个指标。描述已脱敏。",
                              "Ordered by the points lost on the indicators they count in; one record can count in "
                              "several indicators. Descriptions are masked."),
    "evidence_rows": ("扣分依据：合同与12345工单", "Evidence: contracts and 12345 tickets"),
    "evidence_rows_note": ("按失分从大到小列出相关指标；每项列出计为不利的合同或工单（最多{limit}条，按日期排序）。",
                           "Indicators in the order of the points they cost; for each, the contracts or tickets "
                           "counted against the unit (at most {limit}, by date)."),
    "evidence_rows_summary": ("{label} · 失分{lost} · 不利{n}{noun}", "{label} · {lost} points lost · {n} {noun} against"),
    "evidence_rows_more": ("另有{n}条未列出。", "{n} more not listed."),
    "ev_noun_contracts": ("份合同", "contract(s)"),
    "ev_noun_complaints": ("件工单", "ticket(s)"),
    "ev_id": ("编号", "Id"),
    "ev_kind": ("类型", "Kind"),
    "ev_due_on": ("到期日", "Due"),
    "ev_fulfilled_on": ("履行日期", "Fulfilled"),
    "ev_status": ("状态", "Status"),
    "ev_amount": ("金额（元）", "Amount (yuan)"),
    "ev_arrears": ("拖欠金额（元）", "Arrears (yuan)"),
    "ev_received_at": ("受理日期", "Received"),
    "ev_topic": ("事项", "Topic"),
    "ev_due_at": ("办理时限", "Deadline"),
    "ev_resolved_at": ("办结日期", "Resolved"),
    "ev_satisfaction": ("满意度", "Satisfaction"),
    "ev_repeat": ("重复投诉", "Repeat"),
    "veto_trigger": ("触发值", "Value"),
    "veto_whose": ("记录所属单位", "Whose record"),
    "veto_records": ("记录编号", "Records"),
    # what-if panel (overview)
    "whatif_stale": ("排名区间、展望和预警等级不随模拟重新计算，仍为公布值。",
                     "The rank interval, outlook and alert level are not recomputed: they show the published values."),
    "whatif_zero": ("权重合计必须大于0：请至少为一个维度设置大于0的权重。",
                    "The weights must add up to more than 0: give at least one dimension a weight above 0."),
    "whatif_negative": ("权重必须是不小于0的数字。", "Each weight must be a number of 0 or more."),
    "whatif_was": ("原{grade}", "was {grade}"),
    "whatif_changed": ("与公布结果相比：{grades}个单位等级改变，{ranks}个单位排名改变。括号内为相对公布结果的变化。",
                       "Against the published result: {grades} unit(s) change grade, {ranks} change rank. "
                       "Changes are shown in brackets."),
    # method statement (methodology)
    "ms_basis": ("评价依据与范围", "Legal basis and scope"),
    "ms_weights": ("指标体系与权重", "Indicators and weights"),
    "ms_definitions": ("指标定义", "Indicator definitions"),
    "ms_scoring": ("标准化、汇总与等级", "Normalisation, aggregation and grades"),
    "ms_objection": ("异议处理程序", "Objection procedure"),
    "ms_revision": ("修订政策", "Revision policy"),
    "ms_limitations": ("局限性", "Limitations"),
    # alert level (unit page)
    "alert_detail": ("预警等级构成", "How the alert level was reached"),
    "alert_rule_level": ("规则预警等级", "Rule alert level"),
    "alert_model_level": ("模型预警等级", "Model alert level"),
    "alert_held": ("维持此前等级：触发条件已解除，观察期满后降级",
                   "Held from an earlier year: the trigger has cleared; lowered after the hold period"),
    "no_warning": ("无预警", "No warning"),
    # explanations (unit page, internal)
    "risk_explanations": ("推高风险的主要因素（模型解释）", "What raised the risk most (model explanation)"),
    "explanations_note": ("各因素本身的取值使该单位预测对数几率偏离训练年度中位数水平的幅度；"
                          "只列出推高风险的因素。",
                          "How far each feature's own value moves the unit's predicted log-odds away from where "
                          "it would be at the training years' median; only features that raise the risk are listed."),
    "feature": ("因素", "Feature"),
    "contribution_logodds": ("对数几率贡献", "Contribution (log-odds)"),
    # grade probabilities (unit page and overview)
    "grade_probabilities": ("各等级概率（不确定性分析）", "Grade probabilities (uncertainty analysis)"),
    "probability": ("概率", "Probability"),
    "borderline": ("临界", "Borderline"),
    "borderline_yes": ("处于等级临界：公布等级的概率较低，小幅改变评价假设即可能改变等级。",
                       "Borderline: its published grade has a low probability; small changes to the "
                       "assumptions could change it."),
    "borderline_no": ("等级稳定：在不确定性分析中大多数情况下保持公布等级。",
                      "Stable: the published grade holds in most replications of the uncertainty analysis."),
    "grade_certainty": ("等级确定性", "Grade certainty"),
    "borderline_units": ("临界单位", "Borderline units"),
    "borderline_note": ("在不确定性分析中公布等级概率较低的单位。", "Units whose published grade has a low "
                        "probability under the uncertainty analysis."),
    "grade_of_score": ("得分对应等级", "grade of the score"),
    "p_own_grade": ("公布等级的概率", "Probability of its grade"),
    "borderline_count": ("临界单位数", "Borderline units"),
    # alert rules (methodology)
    "alert_kind": ("类型", "Kind"),
    "alert_when": ("触发条件", "Fires when"),
    "alert_target": ("指标或对象", "Indicator or target"),
    "alert_rules_note": ("单位的预警等级取其规则预警和模型预警中的最高等级；触发条件解除后，等级维持{hold}个周期再降低。",
                         "A unit's level is the highest of its rule and model alerts; after the trigger clears, "
                         "the level is held for {hold} period(s) before it is lowered."),
    # model card (methodology, internal)
    "model_summary": ("模型概况", "Summary"),
    "model_version": ("模型版本", "Model version"),
    "software_version": ("软件版本", "Software version"),
    "horizon": ("预测期", "Horizon"),
    "horizon_years": ("{n}年", "{n} year(s)"),
    "data_window": ("数据窗口", "Data window"),
    "feature_years": ("特征年度", "Feature years"),
    "labelled_years": ("有结果的年度", "Labelled years"),
    "training_years_last": ("最近模型的训练年度", "Training years of the latest model"),
    "unit_years": ("单位年数", "Unit-years"),
    "labelled_rows": ("有结果的单位年数", "Labelled unit-years"),
    "events": ("事件数", "Events"),
    "features": ("特征", "Features"),
    "n_features": ("特征数", "Number of features"),
    "estimators": ("估计方法", "Estimators"),
    "calibration": ("概率校准", "Calibration"),
    "validation": ("验证方案", "Validation"),
    "selected_by": ("选择依据", "Selected by"),
    "chosen_model": ("最新采用模型", "Model in use"),
    "beats_naive": ("优于两个朴素基准（合并AUROC）", "Beats both naive baselines (pooled AUROC)"),
    "hold_periods": ("预警维持期数", "Hold periods"),
    "cutoff_rule": ("预警阈值规则", "Cut-off rule"),
    "metrics_pooled": ("样本外回测指标（各年合并）", "Out-of-time backtest metrics (years pooled)"),
    "model": ("模型", "Model"),
    "role": ("角色", "Role"),
    "role_candidate": ("候选", "Candidate"),
    "role_baseline": ("朴素基准", "Naive baseline"),
    "role_selected": ("逐年选择的模型", "Chosen each year"),
    "n_obs": ("样本数", "N"),
    "pooled": ("各年合并", "Pooled"),
    "scope_region": ("（地区含所属部门）", " (a region's departments included)"),
    "chosen_by_year": ("各年度采用模型与预警阈值", "Model and cut-offs used each year"),
    "backtest_by_year": ("逐年回测", "Backtest by year"),
    "roc": ("ROC曲线（样本外）", "ROC curves (out of time)"),
    "roc_desc": ("横轴为误报率（无事件单位中被预警的比例），纵轴为检出率（有事件单位中被预警的比例）；"
                 "对角线为随机水平。",
                 "False positive rate (share of units without an event that are flagged) across, true positive "
                 "rate (share of units with an event that are flagged) up; the diagonal is chance."),
    "fpr": ("误报率", "False positive rate"),
    "tpr": ("检出率", "True positive rate"),
    "tpr_at": ("误报率{fpr}时的检出率", "TPR at {fpr} FPR"),
    "calibration_chart": ("校准图（实际采用模型）", "Calibration (model used)"),
    "calibration_desc": ("按预测概率十分位分组：横轴为组内平均预测概率，纵轴为实际发生率；点落在对角线上表示概率准确。",
                         "Predictions in ten groups by probability: mean predicted probability across, observed "
                         "event rate up; points on the diagonal mean the probabilities are right."),
    "bin": ("分组", "Group"),
    "mean_predicted": ("平均预测概率", "Mean predicted probability"),
    "observed_rate": ("实际发生率", "Observed rate"),
    "model_config": ("模型配置", "Configuration"),
    "metric_auroc": ("AUROC", "AUROC"),
    "metric_average_precision": ("平均精确率", "Average precision"),
    "metric_precision_at_k": ("前k名精确率", "Precision at k"),
    "metric_brier": ("Brier分数", "Brier score"),
    "metric_usefulness_ad": ("有用性（Alessi–Detken）", "Usefulness (Alessi–Detken)"),
    "metric_usefulness_sarlin": ("相对有用性（Sarlin）", "Relative usefulness (Sarlin)"),
    # sensitivity (methodology)
    "sensitivity_note": ("方差分解敏感性分析：一阶指数S1为该假设单独解释的排名变化方差比例，总效应指数ST另含其与"
                         "其他假设的交互作用；区间为自助法置信区间（估计值可能略超出0–1）。",
                         "Variance-based sensitivity: the first-order index S1 is the share of the variance of the "
                         "rank shifts due to the assumption alone, the total index ST adds its interactions with "
                         "the others; intervals are bootstrap confidence intervals (estimates may fall slightly "
                         "outside 0–1)."),
    "sensitivity_runs": ("指数共计算{runs}次。", "The index was computed {runs} times."),
    "sensitivity_year": ("本分析覆盖{year}年（最新评价年度）的单位；较早年度的敏感性分析已随其发布，发布后不再变动。",
                         "The analysis covers the unit-years of {year}, the latest year rated; earlier years' "
                         "sensitivity was published with them and does not change."),
    "assumption": ("假设", "Assumption"),
    "s1": ("一阶指数 S1", "First order S1"),
    "st": ("总效应指数 ST", "Total order ST"),
    "interval": ("区间", "Interval"),
    "sensitivity_chart_desc": ("各假设的一阶指数（深色）与总效应指数（浅色），横线为置信区间。",
                               "First-order (dark) and total-order (light) index of each assumption, with their "
                               "confidence intervals as lines."),
    # coverage and scope (every page, methodology, unit pages)
    "scope_covers": ("本评价覆盖：{covered}；未覆盖：{not_covered}（无数据）",
                     "This rating covers: {covered}; not covered: {not_covered} (no data)"),
    "scope_unofficial": ("非正式评价结果：{reason}", "Not an official rating: {reason}"),
    "scope_unofficial_bare": ("非正式评价结果", "Not an official rating"),
    "list_sep": ("、", ", "),
    "no_scores": ("本次评价没有任何单位获得得分：数据不足以计算。",
                  "No unit has a score in this run: the data are not enough to compute one."),
    "no_grades": ("本次评价没有任何单位获得等级。", "No unit has a grade in this run."),
    "whatif_note_unofficial": ("调整维度权重可即时查看得分、排名和等级的变化，仅在本页面内计算，不改变公布结果。",
                               "Change the dimension weights to see scores, ranks and grades update in this page. "
                               "Nothing is saved and the published result does not change."),
    "whatif_active_unofficial": ("当前显示的是模拟结果，并非公布结果。",
                                 "Showing a what-if result, not the published one."),
    "data_sources": ("数据来源", "Data sources"),
    "present": ("是否提供", "Supplied"),
    "present_yes": ("已提供", "present"),
    "present_no": ("未提供", "absent"),
    "years_covered": ("覆盖年度", "Years covered"),
    "coverage_basis": ("覆盖范围依据", "Coverage from"),
    "declared": ("数据方声明", "declared"),
    "inferred": ("按数据推断", "inferred from the rows"),
    "units_covered": ("覆盖单位", "Units covered"),
    "units_all": ("全部单位", "all units"),
    "units_n": ("{n}个单位", "{n} units"),
    "units_with_rows": ("有记录单位", "Units with rows"),
    "covered_weight": ("可计算部分占指数权重（评价年度）", "Share of the index weight computable (rated year)"),
    "indicators_out": ("无任何数据的指标", "Indicators without any value"),
    "fiscal_capacity": ("综合财力口径", "Fiscal capacity definition"),
    "fiscal_capacity_note": ("综合财力口径：{text}", "Fiscal capacity: {text}"),
    "fiscal_capacity_term": ("综合财力", "Fiscal capacity"),
    "fiscal_rows": ("直接提供{given}行，由构成项推算{derived}行，无法确定{missing}行（该行债务率缺失）",
                    "{given} row(s) given, {derived} derived from components, {missing} without one "
                    "(debt ratio missing there)"),
    "data_years": ("数据覆盖年度", "Years the data cover"),
    "data_years_line": ("{table}：{years}", "{table}: {years}"),
    "no_data": ("无数据", "no data"),
    "outside_coverage": ("超出数据覆盖年度", "outside the years the data covers"),
    # COINr scoring
    "coinr_title": ("综合指数评分结果", "Composite index results"),
    "coinr_ranking": ("排名及各级得分", "Ranking with every aggregate"),
    "coinr_note": ("点击表头排序；排名1为最好，并列单位取最小排名。",
                   "Click a column heading to sort; rank 1 is best, tied units share the lowest rank."),
    "rank_median": ("排名中位数", "Median rank"),
    "unit_code": ("单位代码", "Unit code"),
    "time": ("时间", "Time"),
    "index": ("指数", "Index"),
    "index_chart_desc": ("每个单位为一条短横线：横轴为指数得分，纵轴为排名；如有排名区间，竖线表示其范围。",
                         "Each unit is a short tick: index score across, rank down; where there is a rank interval, "
                         "the vertical line shows it."),
    "settings": ("计算设置", "Settings used"),
    "coinr_weight_note": ("组内权重为各子项在其上级中实际采用的份额；有效权重为各层组内权重的乘积，即在指数中的份额。"
                          "缺失的子项不参与汇总，其余权重按比例放大。",
                          "The weight within the parent is each child's share of its group as used; the effective "
                          "weight is the product of these shares up the hierarchy, its share of the index. Missing "
                          "children are left out of an aggregation and the other weights scaled up."),
    "setting_normalise": ("标准化", "Normalisation"),
    "setting_aggregate": ("汇总方法", "Aggregation"),
    "setting_treat": ("异常值处理", "Outlier treatment"),
    "setting_impute": ("缺失值填补", "Imputation"),
    "setting_weights": ("权重", "Weights"),
    "setting_threshold": ("数据完整性门槛", "Data threshold"),
    "treated_points": ("经异常值处理的数据点", "Treated points"),
    "imputed_points": ("填补的数据点", "Imputed points"),
    "treatment_table": ("各指标的异常值处理", "Outlier treatment per indicator"),
    "weight_imeta": ("iMeta权重", "iMeta weight"),
    "weight_method": ("权重方法", "Weighting"),
    "ahp_cr": ("AHP一致性比率", "AHP consistency ratio"),
    "not_set": ("未设置", "not set"),
}

MODEL_NAMES = {
    "logit": ("逻辑回归", "Logistic regression"),
    "gbm": ("梯度提升", "Gradient boosting"),
    "naive_last_event": ("朴素基准：本年是否发生事件", "Naive: event this year"),
    "naive_last_score": ("朴素基准：本年综合得分", "Naive: composite score this year"),
    "selected": ("实际采用", "Used"),
}
ALERT_KINDS = {
    "band": ("分档", "Band"), "threshold": ("阈值", "Threshold"), "event": ("事件", "Event"),
    "trend": ("趋势", "Trend"), "peer": ("同类比较", "Peer"), "spike": ("突增", "Spike"),
    "overdue": ("逾期", "Overdue"),
}
OUTLOOK = {"positive": ("正面", "Positive"), "stable": ("稳定", "Stable"), "negative": ("负面", "Negative")}
FACTORS = {
    "weights": ("权重", "Weights"), "impute": ("缺失值填补", "Imputation"), "treat": ("异常值处理", "Outlier treatment"),
    "normalise": ("标准化", "Normalisation"), "aggregate": ("汇总方法", "Aggregation"),
    "leave_one_out": ("剔除单个指标", "Leaving one indicator out"),
    "data": ("数据抽样误差", "Data (sampling)"), "composite": ("指标选取（自助重抽样）", "Which indicators (bootstrap)"),
}
RECORD_TABLES = {
    "failure_records": ("失信记录", "failure records"),
    "complaints": ("12345热线工单", "12345 hotline tickets"),
    "debt": ("政府债务", "government debt"),
    "contracts": ("合同与承诺", "contracts and commitments"),
}
FISCAL_DEFINITION = {
    "given": ("数据提供的综合财力", "fiscal capacity as supplied"),
    "derived": ("由构成项之和推算", "the sum of its components"),
    "default": ("提供时取综合财力，否则为一般公共预算收入、政府性基金收入与上级转移支付收入之和",
                "fiscal capacity where supplied, else general budget + fund revenue + transfers received"),
}


#: A grade capped by a veto, with the grade its score alone earns (every table that shows a grade).
CAPPED_GRADE = ("{grade} (否决; 得分对应 {earned})", "{grade} (veto; score earns {earned})")


def is_capped(row: dict) -> bool:
    """Whether a scores row's grade was capped by a veto (and not replaced by an analyst)."""
    g, u = row.get("grade"), row.get("grade_uncapped")
    return bool(row.get("veto")) and bool(g) and bool(u) and g != u and not row.get("override")


def grade_label(row: dict, lang: str) -> str:
    """The grade of a scores row as shown: "C (否决; 得分对应 B)" / "C (veto; score earns B)"
    when a veto capped it, else the grade itself ("" without one).

    >>> grade_label({"grade": "C", "grade_uncapped": "B", "veto": "V1"}, "en")
    'C (veto; score earns B)'
    >>> grade_label({"grade": "B", "grade_uncapped": "B", "veto": None}, "zh")
    'B'
    """
    if not is_capped(row):
        return row.get("grade") or ""
    return CAPPED_GRADE[0 if lang == "zh" else 1].format(grade=row["grade"], earned=row["grade_uncapped"])


def grade_label_expr(columns, lang: str):
    """`grade_label` as a polars expression over a scores frame with `columns` (the grade alone
    when the frame lacks the veto columns)."""
    import polars as pl

    if not {"grade", "grade_uncapped", "veto"} <= set(columns):
        return pl.col("grade")
    capped = (pl.col("veto").is_not_null() & pl.col("grade_uncapped").is_not_null()
              & (pl.col("grade") != pl.col("grade_uncapped")))
    if "override" in columns:
        capped = capped & pl.col("override").is_null()
    zh, en = (t.split("{grade}")[1].split("{earned}") for t in CAPPED_GRADE)
    pre, post = zh if lang == "zh" else en
    return (pl.when(capped).then(pl.concat_str([pl.col("grade"), pl.lit(pre), pl.col("grade_uncapped"), pl.lit(post)]))
            .otherwise(pl.col("grade")))
