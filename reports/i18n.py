"""The message catalogue: every fixed label of the reports, in Chinese and English.

Labels of the index itself (nodes, grades, vetoes) come from the framework; everything else
comes from here. `catalogue(lang)` returns a plain dict that the templates read as `t.<key>`.
"""
from __future__ import annotations

from indicators.spec import format_spec, parse_spec
from rating.aggregate import AGGREGATORS
from rating.impute import IMPUTERS
from rating.normalise import NORMALISERS
from rating.treat import TREATMENTS
from reports import labels

LANGS = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}

# key -> (zh, en)
MESSAGES: dict[str, tuple[str, str]] = {
    # navigation and page titles
    "overview": ("总览", "Overview"),
    "alerts": ("风险预警", "Alerts"),
    "methodology": ("方法说明", "Methodology"),
    "unit_page": ("单位评价报告", "Unit report"),
    "report_title": ("政务诚信评价报告", "Government integrity rating report"),
    "year": ("年度", "Year"),
    "latest_year": ("评价年度", "Rated year"),
    "audience_internal": ("内部版", "Internal edition"),
    "audience_public": ("公开版", "Public edition"),
    "official_note": ("本报告公布的评分、排名和等级为正式评价结果。",
                      "The scores, ranks and grades published in this report are the official result."),
    # units
    "unit": ("单位", "Unit"),
    "unit_id": ("单位代码", "Unit code"),
    "name": ("名称", "Name"),
    "kind": ("类型", "Kind"),
    "level": ("层级", "Level"),
    "city": ("地市", "City"),
    "parent": ("上级单位", "Parent unit"),
    "region": ("所属地区", "Region"),
    "kind_region": ("地区", "Region"),
    "kind_department": ("部门", "Department"),
    "level_province": ("省级", "Province"),
    "level_city": ("地市级", "City"),
    "level_county": ("县级", "County"),
    "level_township": ("乡镇级", "Township"),
    "all": ("全部", "All"),
    "search": ("搜索", "Search"),
    # scores
    "score": ("得分", "Score"),
    "rank": ("排名", "Rank"),
    "rank_interval": ("排名区间", "Rank interval"),
    "score_interval": ("得分区间", "Score interval"),
    "grade": ("等级", "Grade"),
    "grade_uncapped": ("否决前等级", "Grade before veto"),
    "outlook": ("展望", "Outlook"),
    "alert_level": ("预警等级", "Alert level"),
    "yoy": ("同比变化", "Change on year"),
    "peer_group": ("同组", "Peer group"),
    "peers": ("同组单位数", "Units in peer group"),
    "of": ("共", "of"),
    "insufficient_data": ("数据不足，未评分", "Insufficient data: not scored"),
    "veto": ("一票否决", "Veto"),
    "no_veto": ("无一票否决事项", "No veto applies"),
    "honours": ("评优评先资格", "Eligibility for honours"),
    "eligible": ("具备", "Eligible"),
    "not_eligible": ("不具备", "Not eligible"),
    "risk_probability": ("次年严重失信事件概率（模型估计）",
                         "Probability of a serious event next year (model estimate)"),
    # overview sections
    "grade_distribution": ("等级分布", "Grade distribution"),
    "ranking": ("单位排名", "Ranking of all units"),
    "ranking_note": ("点击表头排序；排名在同年度、同类型、同层级单位中计算。",
                     "Click a column heading to sort; ranks are within the same year, kind and level."),
    "rows_shown": ("显示行数", "Rows shown"),
    "movers": ("变化最大的单位", "Movers"),
    "risers": ("上升最多", "Largest rises"),
    "fallers": ("下降最多", "Largest falls"),
    "previous": ("上年", "Previous year"),
    "change": ("变化", "Change"),
    "no_previous_year": ("没有上一年度数据，无法比较。", "No previous year to compare with."),
    "scores_intervals": ("得分与排名区间", "Scores with rank intervals"),
    "scores_intervals_desc": ("每个单位为一条短横线：横轴为得分，纵轴为排名；"
                              "竖线为权重扰动下的5%–95%排名区间；颜色表示等级。",
                              "Each unit is a short tick: score across, rank down; the vertical line is its 5%–95% "
                              "rank interval under weight perturbation; the colour is its grade."),
    "compare_regions": ("地区比较", "Comparison of regions"),
    "cities": ("地级市", "Cities"),
    "counties_in": ("所选地市的县（市、区）", "Counties of the selected city"),
    "select_city": ("选择地市", "Select a city"),
    "compare_departments": ("同类部门跨地区比较", "Departments of the same kind across regions"),
    "select_department": ("选择部门类别", "Select a kind of department"),
    "department_kind": ("部门类别", "Kind of department"),
    "none_available": ("无", "None"),
    # what-if
    "whatif": ("权重模拟（规划参考）", "What-if weights (for planning)"),
    "whatif_note": ("调整维度权重可即时查看得分、排名和等级的变化，仅在本页面内计算，不改变正式结果。"
                    "正式结果以公布值为准。",
                    "Change the dimension weights to see scores, ranks and grades update in this page. "
                    "Nothing is saved and the official result does not change: the published result is "
                    "the official one."),
    "whatif_active": ("当前显示的是模拟结果，并非正式评价结果。",
                      "Showing a what-if result, not the official rating."),
    "whatif_unsupported": ("本框架的汇总方法不支持页面内模拟。",
                           "The aggregation method of this framework cannot be simulated in the page."),
    "whatif_latest_only": ("权重模拟仅适用于最新评价年度。", "What-if weights apply to the latest rated year only."),
    "reset_weights": ("恢复公布权重", "Reset to published weights"),
    "weight": ("权重", "Weight"),
    "weight_share": ("占比", "Share"),
    # unit page
    "summary": ("评价结果", "Result"),
    "dimensions_vs_peers": ("各维度得分与同组中位数", "Dimension scores against the peer median"),
    "dimension": ("维度", "Dimension"),
    "peer_median": ("同组中位数", "Peer median"),
    "difference": ("差值", "Difference"),
    "trend": ("历年走势", "Trend over years"),
    "indicators": ("指标明细", "Indicators"),
    "indicator": ("指标", "Indicator"),
    "raw_value": ("原始值", "Raw value"),
    "normalised": ("标准化值", "Normalised"),
    "effective_weight": ("有效权重", "Effective weight"),
    "effective_weight_note": ("有效权重为各层组内权重的乘积，适用于所有指标均适用且有数据的单位；"
                              "不适用或缺失的指标不参与计算，其余权重按比例放大（见各单位页面）。",
                              "The effective weight is the product of the within-parent weights up the hierarchy, "
                              "for a unit to which every indicator applies and has data; indicators that do not "
                              "apply or are missing are left out and the others scaled up (see each unit's page)."),
    "contribution": ("对总分贡献", "Contribution to the score"),
    "points_lost": ("失分", "Points lost"),
    "peer_percentile": ("同组百分位", "Peer percentile"),
    "auxiliary": ("辅助指标（不计入总分）", "Auxiliary indicators (not in the score)"),
    "strengths": ("优势", "Strengths"),
    "weaknesses": ("短板", "Weaknesses"),
    "unit_alerts": ("预警信息", "Alerts"),
    "no_alerts": ("无预警", "No alerts"),
    "records_behind": ("扣分依据的失信记录", "Records behind each deduction"),
    "records_note": ("描述已脱敏。", "Descriptions are masked."),
    "no_records": ("无", "None"),
    "pending_records": ("异议处理中的记录（未计入评分）", "Records pending objection (not counted)"),
    "record_id": ("记录编号", "Record id"),
    "occurred_on": ("发生日期", "Occurred on"),
    "category": ("类别", "Category"),
    "severity": ("严重程度", "Severity"),
    "status": ("状态", "Status"),
    "status_changed_on": ("状态变更日期", "Status changed on"),
    "amount": ("涉及金额（元）", "Amount (yuan)"),
    "record_weight": ("计分权重", "Counting weight"),
    "description": ("描述", "Description"),
    "against_unit": ("记录对象", "Record against"),
    # alerts
    "source": ("来源", "Source"),
    "source_rule": ("规则", "Rule"),
    "source_model": ("模型", "Model"),
    "rule": ("规则", "Rule"),
    "message": ("内容", "Message"),
    "evidence": ("依据", "Evidence"),
    "count": ("数量", "Count"),
    "share_of_units": ("单位占比（%）", "Share of units (%)"),
    "alerts_by_level": ("按预警等级", "By alert level"),
    "alert_red": ("红色", "Red"),
    "alert_orange": ("橙色", "Orange"),
    "alert_yellow": ("黄色", "Yellow"),
    "alert_blue": ("蓝色", "Blue"),
    # methodology
    "framework": ("指标体系", "The framework"),
    "hierarchy": ("层级结构与权重", "Hierarchy and weights"),
    "code": ("代码", "Code"),
    "depth": ("层级", "Depth"),
    "weight_in_parent": ("组内权重", "Weight within parent"),
    "direction": ("方向", "Direction"),
    "direction_pos": ("正向", "Higher is better"),
    "direction_neg": ("逆向", "Lower is better"),
    "unit_of_measure": ("计量单位", "Unit of measure"),
    "applies_to": ("适用范围", "Applies to"),
    "definition": ("定义", "Definition"),
    "normalisation": ("标准化方法", "Normalisation"),
    "grades": ("等级划分", "Grades"),
    "min_score": ("最低分", "Minimum score"),
    "vetoes": ("一票否决规则", "Veto rules"),
    "cap": ("最高等级", "Grade cap"),
    "reason": ("理由", "Reason"),
    "condition": ("条件", "Condition"),
    "alert_rules": ("预警规则", "Alert rules"),
    "methods": ("计算方法", "Methods"),
    "method_treat": ("异常值处理", "Outlier treatment"),
    "method_impute": ("缺失值填补", "Imputation"),
    "method_normalise": ("标准化", "Normalisation"),
    "method_aggregate": ("汇总方法", "Aggregation"),
    "method_threshold": ("数据完整性门槛", "Data threshold"),
    "method_over": ("标准化范围", "Normalised over"),
    "method_peer": ("比较组", "Peer groups"),
    "lifecycle": ("记录生命周期规则", "Record lifecycle rules"),
    "lc_rectified_weight": ("整改完成记录的计分权重", "Counting weight of a rectified record"),
    "lc_count_repaired_after_repair": ("信用修复后仍计分", "Repaired records count after their repair"),
    "lc_count_under_objection": ("异议处理中的记录计分", "Records under objection count"),
    "lc_count_revoked": ("已撤销的记录计分", "Revoked records count"),
    "auxiliary_indicators": ("辅助指标", "Auxiliary indicators"),
    "formula": ("计算口径", "Computation"),
    "aggregation": ("汇总方法", "Aggregation"),
    "framework_version": ("版本", "Version"),
    "hash": ("SHA-256", "SHA-256"),
    "median": ("中位数", "Median"),
    "units_count": ("单位数", "Units"),
    "coverage": ("数据覆盖", "Data coverage"),
    "units_with_value": ("有数据单位", "Units with a value"),
    "units_applicable": ("适用单位", "Units it applies to"),
    "share_covered": ("覆盖率", "Coverage"),
    "quarantine": ("数据导入与隔离", "Inputs and quarantine"),
    "table": ("数据表", "Table"),
    "file": ("文件", "File"),
    "rows_read": ("读取行数", "Rows read"),
    "rows_accepted": ("采用行数", "Rows accepted"),
    "rows_quarantined": ("隔离行数", "Rows quarantined"),
    "manifest": ("运行记录", "Run manifest"),
    "software": ("软件", "Software"),
    "version": ("版本", "Version"),
    "seed": ("随机种子", "Seed"),
    "framework_file": ("指标体系文件", "Framework file"),
    "timings": ("各环节耗时（秒）", "Timings (seconds)"),
    "stage": ("环节", "Stage"),
    "seconds": ("秒", "Seconds"),
    "uncertainty": ("不确定性分析", "Uncertainty analysis"),
    "uncertainty_text": ("每个权重乘以U(1−{noise}, 1+{noise})的随机因子后重新汇总和排名，重复{n}次；"
                         "排名区间为5%与95%分位数。",
                         "Every weight is multiplied by a random factor from U(1−{noise}, 1+{noise}), the index "
                         "re-aggregated and re-ranked, {n} times; the rank interval is the 5th to 95th percentile."),
    "median_interval_width": ("排名区间宽度中位数", "Median width of the rank interval"),
    "audit": ("统计审计", "Statistical audit"),
    "sensitivity": ("敏感性分析", "Sensitivity analysis"),
    "audit_heatmap_desc": ("指标两两之间的相关系数（−1至1），蓝色为正相关，红色为负相关。",
                           "Correlation between each pair of indicators (−1 to 1): blue positive, red negative."),
    "model_card": ("预警模型说明", "Model card of the early-warning model"),
    "model_target": ("预测目标", "Target"),
    "model_target_text": ("次年是否发生计入评价、严重程度≥{severity}的失信记录（类别：{categories}）",
                          "Whether a counting failure record of severity >= {severity} occurs in the next year "
                          "(categories: {categories})"),
    "model_predictions": ("预测单位年数", "Unit-years predicted"),
    "model_years": ("预测年度", "Years predicted"),
    "generated_by": ("生成软件", "Generated by"),
    "chart": ("图表", "Chart"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "dash": ("—", "—"),
    "value": ("数值", "Value"),
    "threshold": ("阈值", "Threshold"),
    "bands": ("分档", "Bands"),
    "goalposts": ("目标值（最差，最好）", "Goalposts (worst, best)"),
    "method_threshold_explain": ("有数据子项的权重合计不足适用子项权重的该比例时，不予评分。",
                                 "A score is given only when the children with data carry at least this share of "
                                 "the applicable children's weight."),
}
MESSAGES.update(labels.MESSAGES)
# index, comparison and multi-year views (reports/overview.py, headline.py, multiyear.py, compare.py)
MESSAGES.update({
    "group_region_province": ("省", "Province"),
    "group_region_city": ("地级市", "City governments"),
    "group_region_county": ("县（市、区）", "County governments"),
    "group_region_township": ("乡镇（街道）", "Township governments"),
    "group_department_province": ("省直部门", "Provincial departments"),
    "group_department_city": ("市直部门", "City departments"),
    "group_department_county": ("县直部门", "County departments"),
    "group_department_township": ("乡镇部门", "Township departments"),
    "headline": ("年度要点", "The year at a glance"),
    "headline_note": ("每组单位之间比较：得分最高和最低的单位，以及得分较上年上升和下降最多的单位。",
                      "Within each peer group: the highest and lowest score, and the largest rise and fall "
                      "of the score since last year."),
    "best": ("得分最高", "Highest score"),
    "worst": ("得分最低", "Lowest score"),
    "largest_rise": ("上升最多", "Largest rise"),
    "largest_fall": ("下降最多", "Largest fall"),
    "units_by_grade": ("各等级单位数", "Units by grade"),
    "units_by_alert": ("各预警等级单位数", "Units by alert level"),
    "units_by_alert_note": ("每个单位按其最高预警等级计一次。", "Each unit counts once, at its most severe alert."),
    "city_ranking": ("地级市排名", "Ranking of the cities"),
    "map_title": ("地区等级分布图", "Map of the rated regions"),
    "multiyear": ("历年变化", "Over the years"),
    "grades_by_year": ("各年度等级分布", "Units per grade in each year"),
    "show_group": ("比较组", "Peer group"),
    "migration": ("等级迁移矩阵", "Grade migration"),
    "migration_note": ("行为前一年的等级，列为后一年的等级；对角线（加粗）为等级不变的单位数。"
                       "只统计两年都有评价结果的单位。",
                       "Rows: the grade in the first year; columns: the grade in the second; the diagonal (bold) "
                       "counts the units whose grade did not change. Only units rated in both years count."),
    "year_pair": ("年度", "Years"),
    "from_to_grade": ("前一年等级 ＼ 后一年等级", "Grade from \\ to"),
    "all_years_pooled": ("各年合计", "All years pooled"),
    "all_units": ("全部单位", "All units"),
    "not_rated_short": ("未评分", "Not rated"),
    "migration_summary": ("等级上调{up}个，不变{same}个，下调{down}个。",
                          "{up} moved up a grade or more, {same} kept their grade, {down} moved down."),
    "median_score": ("得分中位数", "Median score"),
    "data_files": ("数据文件", "Data files"),
    "data_files_note": ("本次评价的全部数据文件，与本页面在同一文件夹中。",
                        "Every data file of this run, in the same folder as this page."),
    "no_data_files": ("本次评价没有输出数据文件。", "This run wrote no data files."),
    "file_xlsx": ("评价结果工作簿（Excel）", "Results workbook (Excel)"),
    "file_scores": ("各单位各年度的得分、排名、排名区间和等级", "Scores, ranks, rank intervals and grades of every unit and year"),
    "file_indicators": ("各单位各年度的指标原始值和标准化值", "Raw and normalised indicator values of every unit and year"),
    "file_alerts": ("预警清单", "The alerts"),
    "file_risk": ("预警模型估计的风险概率", "Risk probabilities estimated by the early-warning model"),
    "file_migration": ("等级迁移矩阵", "Grade migration matrices"),
    "file_duckdb": ("全部结果表（DuckDB数据库）", "Every result table (DuckDB database)"),
    "file_manifest": ("运行记录：软件版本、参数、输入文件校验值和耗时", "Run manifest: software, parameters, input checksums, timings"),
    "file_audit": ("统计审计表", "Statistical audit table"),
    "file_model": ("预警模型说明和回测结果", "Model card and backtest of the early-warning model"),
    "file_quarantine": ("导入时被隔离的数据行", "Input rows quarantined on loading"),
    "dept_option": ("{name} · {group}（{n}个）", "{name} · {group} ({n})"),
    "dept_rank_note": ("只列同一比较组的部门；排名是在该组全部部门（如全部市直部门）中的排名。",
                       "Only departments of one peer group are listed together; the rank is among all departments "
                       "of that group (e.g. every city department)."),
    "compare": ("单位对比", "Compare"),
    "compare_title": ("单位并排对比", "Units side by side"),
    "compare_note": ("选择两到三个单位并排比较。排名是各单位在本组（同类型、同层级）内的排名。",
                     "Pick two or three units to see them side by side. Each rank is the unit's rank within its "
                     "own peer group (same kind and level)."),
    "compare_link": ("任选两到三个单位并排比较", "Compare any two or three units side by side"),
    "cmp_unit_n": ("单位{n}", "Unit {n}"),
    "cmp_none": ("（不选）", "(none)"),
    "cmp_mixed_groups": ("所选单位不在同一比较组，排名不能直接相比。",
                         "The units picked are in different peer groups: their ranks do not compare."),
    "cmp_pick_two": ("请至少选择两个不同的单位。", "Pick at least two different units."),
    "cmp_raw": ("原始值", "raw value"),
    "cmp_rank_of": ("第{rank}名 / 共{n}个", "{rank} of {n}"),
    "cmp_not_rated": ("本年度未评价", "Not rated this year"),
    "cmp_noscript": ("并排对比需要浏览器启用脚本。", "The comparison needs scripts enabled in the browser."),
    "dimensions": ("维度得分", "Dimension scores"),
    "cmp_trend_desc": ("每条线是一个单位各年度的综合得分；圆点、方块、三角对应表头中的单位，数值见下表。",
                       "One line per unit, its score in each year; circle, square and triangle mark the units as in "
                       "the table heading; the values are in the table below."),
})
# alerts page (reports/alerts_page.py): filters, reasons, actions, roll-up and print list
MESSAGES.update({
    "ap_intro": ("每行是一个单位一个年度：预警等级、原因、处置措施、责任单位和跟进日期。默认显示最新年度。",
                 "One row per unit and year: its alert level, the reasons, the action, who owns it and when to "
                 "follow up. The latest year is shown first."),
    "ap_all_years": ("全部年度", "All years"),
    "ap_watch": ("关注", "Watch"),
    "ap_watch_note": ("关注事项仅作跟踪，不计入预警数。", "Watch items are tracked but not counted as alerts."),
    "ap_reasons": ("预警原因与处置", "Reasons and action"),
    "ap_action": ("处置措施", "Action"),
    "ap_owner": ("责任单位", "Owner"),
    "ap_follow_up": ("跟进日期", "Follow up by"),
    "ap_held_until": ("维持至", "Held until"),
    "ap_origin": ("触发记录所属单位", "Record of"),
    "ap_rollup": ("{n}个部门{level}预警", "{n} {level}"),
    "ap_departments": ("下属部门", "Departments"),
    "ap_show_departments": ("查看部门", "Show departments"),
    "ap_region_filter": ("仅显示所属部门：{name}", "Departments of {name} only"),
    "ap_clear": ("清除", "Clear"),
    "ap_no_own_alert": ("本级无预警", "No alert of its own"),
    "ap_rows": ("第{a}–{b}行，共{n}行", "Rows {a}–{b} of {n}"),
    "ap_prev": ("上一页", "Previous"),
    "ap_next": ("下一页", "Next"),
    "ap_no_match": ("没有符合条件的预警。", "No alerts match the filters."),
    "ap_units_by_level": ("各预警等级的单位数", "Units by alert level"),
    "ap_alert_items": ("预警条数", "Alerts"),
    "ap_print_list": ("{year}年红色和橙色预警清单", "Red and orange alerts, {year}"),
    "ap_print_none": ("{year}年无红色或橙色预警。", "No red or orange alert in {year}."),
    "ap_search_hint": ("单位名称、代码或预警内容", "Unit name, code or text"),
    "ap_rule_band": ("{name}超过预警线", "{name} above its warning line"),
    "ap_rule_threshold": ("{name}{op}{value}", "{name} {op} {value}"),
    "ap_rule_event": ("{name}", "{name}"),
    "ap_rule_trend": ("{name}同比大幅下降", "{name} fell sharply on the year"),
    "ap_rule_peer": ("{name}持续处于同类末位", "{name} persistently at the bottom of its peers"),
    "ap_rule_spike": ("投诉举报月度突增", "Monthly complaints spike"),
    "ap_rule_overdue": ("逾期账款占比过高", "Overdue arrears too high a share"),
    "ap_rule_hold": ("预警等级维持（观察期）", "Level held (observation period)"),
    "ap_rule_risk_model": ("风险模型预测", "Risk model forecast"),
    "ap_ev_cases": ("依据{n}件", "based on {n} cases"),
    "ap_ev_records": ("相关记录：{ids}", "records: {ids}"),
    "ap_ev_more": ("等共{n}条", "and more, {n} in all"),
    "ap_ev_amount_due": ("应付金额{v}", "amount due {v}"),
    "ap_ev_overdue_amount": ("逾期金额{v}", "overdue {v}"),
    "ap_ev_month": ("{month}：{n}件（此前中位数{median}件，稳健z值{z}）",
                    "{month}: {n} (usual {median}, robust z {z})"),
    "ap_ev_years": ("涉及年度：{v}", "years: {v}"),
    "ap_ev_hold": ("由{year}年的预警维持（{rules}），已连续{clean}个周期未再触发，满{periods}个周期后降级",
                   "held from the {year} alert ({rules}); {clean} of {periods} clean period(s) before it is lowered"),
    "ap_ev_features": ("主要风险因素：{v}", "main risk factors: {v}"),
    "ap_ev_peer_sd": ("同组变化标准差{sd}，预警幅度{limit}", "peers' change SD {sd}, limit {limit}"),
})

CATEGORY = {
    "judgment_lost": ("行政诉讼败诉", "Lost administrative lawsuit"),
    "judgment_unperformed": ("拒不履行生效判决", "Court judgment not performed"),
    "dishonest_debtor": ("列为失信被执行人", "Listed as dishonest judgment debtor"),
    "administrative_penalty": ("行政处罚", "Administrative penalty"),
    "disciplinary": ("纪律处分", "Disciplinary sanction"),
    "accountability": ("问责", "Accountability finding"),
    "broken_commitment": ("未守信践诺", "Broken commitment"),
    "online_service_shortfall": ("网上办事未达标", "Online-service shortfall"),
}
STATUS = {
    "active": ("有效", "Active"),
    "rectified": ("整改完成", "Rectified"),
    "repaired": ("信用修复", "Credit repaired"),
    "under_objection": ("异议处理中", "Under objection"),
    "revoked": ("已撤销", "Revoked"),
}
SEVERITY = {1: ("轻微", "Minor"), 2: ("一般", "General"), 3: ("严重", "Serious")}
UNIT_TEXT = {
    "share": ("比例", "share"),
    "share of amount": ("金额占比", "share of amount"),
    "ratio": ("比率", "ratio"),
    "records": ("条", "records"),
    "days": ("天", "days"),
    "records per 100 staff": ("条/百名工作人员", "records per 100 staff"),
    "weighted records per 100 staff": ("加权条数/百名工作人员", "weighted records per 100 staff"),
    "tickets per 10,000 population": ("件/万人", "tickets per 10,000 population"),
    "yuan per 10,000 yuan": ("元/万元预算", "yuan per 10,000 yuan"),
}
#: Method families by the key of their setting; each method's label and explanation are its
#: registry entry's (rating.methods).
METHODS = {"treat": TREATMENTS, "impute": IMPUTERS, "normalise": NORMALISERS, "aggregate": AGGREGATORS}
#: Values of the settings that are not methods.
SETTING_TEXT = {
    "pooled": ("各评价年度合并", "all rated years pooled"),
    "year": ("按年度分别", "each year separately"),
    "kind": ("地区与部门分别比较", "regions and departments separately"),
}


def _known(family: str, spec) -> bool:
    try:
        return parse_spec(spec)[0] in METHODS[family]
    except ValueError:  # an empty or malformed specification
        return False


def method_text(family: str, spec, lang: str) -> str:
    """A method setting as a report shows it: the method's label when it has no parameters, the
    specification as written otherwise (and for a method this version does not know).

    Examples
    --------
    >>> method_text("aggregate", "arithmetic", "zh"), method_text("normalise", "minmax:0,100", "en")
    ('加权算术平均', 'minmax:0,100')
    """
    return METHODS[family].text(spec, lang) if _known(family, spec) else ("—" if spec is None else str(spec))


def method_explain(family: str, spec, lang: str) -> str:
    """What the method of a setting does, in `lang` (empty for a method this version does not know).

    Examples
    --------
    >>> method_explain("impute", "none", "en")
    'Missing values are not filled: they stay missing and are left out of the aggregation.'
    """
    return METHODS[family].explanation(spec, lang) if _known(family, spec) else ""


def normalisation_text(framework, node, arrow: str = "→") -> str:
    """How an indicator is normalised, as a table shows it: the specification in force, with the
    goalposts in raw units (worst → best) where they apply.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> import dataclasses
    >>> fw = load_framework()
    >>> normalisation_text(fw, dataclasses.replace(fw.node("contract_breach_rate"), normalise="goalposts"))
    'goalposts (0.3 → 0)'
    >>> normalisation_text(fw, fw.node("broken_commitment_per_100_staff"))
    'zscore:50,10'
    """
    name, params = framework.normalisation_of(node)
    if name == "goalposts" and node.goalposts:
        return f"goalposts ({node.goalposts[0]:g} {arrow} {node.goalposts[1]:g})"
    return format_spec(name, params)


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


def catalogue(lang: str) -> dict[str, str]:
    """Every message in one language, for the templates.

    Examples
    --------
    >>> catalogue("en")["score"]
    'Score'
    >>> catalogue("zh")["grade"]
    '等级'
    """
    check_lang(lang)
    return {k: _pick(v, lang) for k, v in MESSAGES.items()}


def message(key: str, lang: str, **values) -> str:
    """One message, with `{placeholders}` filled in."""
    text = _pick(MESSAGES[key], lang)
    return text.format(**values) if values else text


def lookup(table: dict, key, lang: str) -> str:
    """A label from one of the code tables above; the code itself when it is unknown."""
    pair = table.get(key)
    if pair is None:
        return "—" if key is None else str(key)
    return _pick(pair, lang)


def unit_text(unit: str | None, lang: str) -> str:
    """An indicator's unit of measure in the language (the framework's text when unknown)."""
    if not unit:
        return ""
    pair = UNIT_TEXT.get(unit)
    return _pick(pair, lang) if pair else unit


def kind_label(kind: str | None, lang: str) -> str:
    return _pick(MESSAGES[f"kind_{kind}"], lang) if f"kind_{kind}" in MESSAGES else (kind or "—")


def level_label(level: str | None, lang: str) -> str:
    return _pick(MESSAGES[f"level_{level}"], lang) if f"level_{level}" in MESSAGES else (level or "—")


def alert_label(level: str | None, lang: str) -> str:
    return _pick(MESSAGES[f"alert_{level}"], lang) if f"alert_{level}" in MESSAGES else (level or "—")


def source_label(source: str | None, lang: str) -> str:
    return _pick(MESSAGES[f"source_{source}"], lang) if f"source_{source}" in MESSAGES else (source or "—")


def node_label(node, lang: str) -> str:
    """A framework node's (or grade's) name in the language, falling back to the other one."""
    zh, en = getattr(node, "name_zh", ""), getattr(node, "name_en", "")
    return (zh or en) if lang == "zh" else (en or zh)
