"""The method statement of methodology.html in prose: the legal basis, how scores are formed
(in words and as formulas), why the weights are what they are, how records are objected to and
corrected, how the method is revised, and what the rating cannot tell. Paragraphs are (zh, en)
pairs; numbers in them come from the framework as rated, never from this file.
"""
from __future__ import annotations

from reports import fmt
from reports.i18n import method_text, node_label

BASIS = (
    ("本评价依据广东省加强政务诚信建设的实施方案（粤府〔2017〕140号）第一部分第（五）项：由第三方机构运用大数据方法，"
     "以政务失信记录为基础，对各地区、各部门的政务诚信状况开展评价，并发布风险预警。方案列明的评价数据包括："
     "行政诉讼败诉、拒不履行生效判决、行政处罚、纪律处分与问责等针对政府机构的记录；政府机构被列为失信被执行人的情况；"
     "未守信践诺和网上办事未达标情况；12345热线及投诉平台的受理量与办理情况；地方政府债务及其风险评估、预警与公开；"
     "政府采购合同、PPP项目、招商引资承诺和法院判决的履行情况。方案同时要求建立信用修复、异议处理和信息保护机制，"
     "本评价的记录生命周期规则和异议程序即据此设置。",
     "This rating follows the Guangdong plan for government integrity (粤府〔2017〕140号), section 一(五): "
     "commissioned third parties rate the integrity of every region and department with big-data methods over "
     "government failure records, and issue risk early warnings. The plan names the data: lost administrative "
     "lawsuits, unperformed court judgments, administrative penalties, disciplinary sanctions and accountability "
     "findings against government bodies; government bodies listed as dishonest judgment debtors; broken public "
     "commitments and online-service shortfalls; 12345 hotline and complaint volumes and handling; local "
     "government debt, its risk assessment, early warning and disclosure; and the performance of procurement "
     "contracts, PPP projects, investment-promotion promises and court judgments. It also requires credit repair, "
     "objection handling and protection of the information, which the record lifecycle rules and the objection "
     "procedure below implement."),
)
SCOPE = (
    "评价对象为地市、县（区）人民政府及其组成部门，按单位类型和层级分组比较；部门与所属地区分别评价，部门的失信记录同时计入其所属地区。",
    "The rated units are city and county governments and their departments, compared within groups of the same "
    "kind and level; departments and regions are rated separately, and a department's records also count for its "
    "region.",
)
NORMALISE = (
    "原始指标值先换算为0–100的标准化值（100为最好），使不同单位、不同量纲的指标可以相加。逆向指标（越低越好）先取反。",
    "Each raw value is first put on a 0–100 scale (100 best) so that indicators of different units can be "
    "added; for indicators where lower is better the value is reversed first.",
)
NORMALISE_ZSCORE = (
    "原始指标值先换算为标准分：与同组（同类型、同层级单位）当年平均相比，高出或低于几个标准差；同组平均记{mean}分，"
    "每高（好）于平均一个标准差加{sd}分（分数越高越好），使不同单位、不同量纲的指标可以相加。逆向指标（越低越好）先取反。",
    "Each raw value is first turned into a standard score: how many standard deviations it lies above or below "
    "the mean of its peer group (same kind and level) in the year; the peer mean scores {mean} and each standard "
    "deviation better adds {sd} points (higher is better), so that indicators of different units can be added. For "
    "indicators where lower is better the value is reversed first.",
)
AGGREGATE = (
    "维度得分是其下各指标标准化值的加权平均，综合得分是各维度得分的加权平均。某单位缺失或不适用的指标不参与计算，"
    "其余指标的权重按比例放大；有数据的子项权重合计不足适用子项权重的{threshold}时，该项不予评分。",
    "A dimension's score is the weighted mean of its indicators' normalised values; the index is the weighted mean "
    "of the dimensions. Indicators a unit lacks or that do not apply to it are left out and the other weights "
    "scaled up; when the children with data carry less than {threshold} of the applicable weight, no score is given.",
)
FORMULA_AGGREGATE = "S = Σᵢ wᵢ·xᵢ / Σᵢ wᵢ（i：有数据且适用的子项）"
FORMULA_AGGREGATE_EN = "S = Σᵢ wᵢ·xᵢ / Σᵢ wᵢ (i: children with data that apply)"
FORMULA_LOSS = ("失分ᵢ = eᵢ ×（100 − xᵢ），得分 = 100 − Σᵢ 失分ᵢ（eᵢ：指标在该单位得分中的实际权重）",
                "lossᵢ = eᵢ × (100 − xᵢ), score = 100 − Σᵢ lossᵢ (eᵢ: the weight the indicator carried in the unit's score)")
FORMULA_GOALPOSTS = "x = 100 × (v − 最差值) / (最好值 − 最差值)，截断到0–100"
FORMULA_GOALPOSTS_EN = "x = 100 × (v − worst) / (best − worst), cut to 0–100"
FORMULA_ZSCORE = "x = {mean} + {sd} × (v − 同组均值) / 同组标准差"
FORMULA_ZSCORE_EN = "x = {mean} + {sd} × (v − peer mean) / peer standard deviation"
FORMULA_MINMAX = "x = 100 × (v − 同组最差值) / (同组最好值 − 同组最差值)"
FORMULA_MINMAX_EN = "x = 100 × (v − worst among peers) / (best among peers − worst among peers)"
WEIGHTS = (
    "维度权重按方案对四类数据的侧重设定：{dims}。维度内各指标权重默认相同（1），直接衡量方案所列核心义务的指标权重提高：{heavy}。"
    "权重不是由数据估计的，而是评价方的判断；为检验这一判断的影响，不确定性分析对每个权重随机扰动±{noise}，"
    "各单位的排名区间和等级概率即反映权重取值的影响。读者可在总览页的权重模拟中自行调整维度权重（模拟结果仅供规划参考）。",
    "Dimension weights follow the emphasis the plan gives the four kinds of data: {dims}. Within a dimension every "
    "indicator weighs 1 unless it measures a core obligation the plan names directly: {heavy}. The weights are the "
    "evaluator's judgement, not estimated from the data; to test that judgement the uncertainty analysis varies "
    "every weight by ±{noise}, and each unit's rank interval and grade probabilities show how much the weights "
    "matter. Readers can change the dimension weights in the overview's what-if panel (for planning only).",
)
GRADES = ("综合得分按以下分数线划分等级：{bands}。一票否决事项只限制最高等级，不改变得分和排名。",
          "The index score is graded by these cut-offs: {bands}. A veto caps the grade only; it never changes the "
          "score or the rank.")
LIFECYCLE = (
    "记录的计入规则：已撤销（经核实有误）的记录不计入；处于异议处理中的记录不计入得分和预警，在单位页列为待处理；"
    "已信用修复的记录在其发生年度照常计入，修复后的年度不再计入；已整改完成的记录按{rectified}的权重计入，以鼓励主动纠正。",
    "How records count: a revoked record (found wrong) never counts; a record under objection counts in neither "
    "scores nor alerts and is listed as pending on the unit's page; a credit-repaired record counts in the year it "
    "occurred and not after its repair; a rectified record counts with weight {rectified}, rewarding self-correction.",
)
OBJECTION = (
    "异议处理：被评价单位对评价所依据的记录或评价结果有异议的，可在结果公布后的异议期内向评价机构书面提出，并附证明材料。"
    "提出后该记录即标注为“异议处理中”，不计入得分和预警。评价机构核实后：记录有误的予以撤销，并重新计算相关单位的得分、排名和等级；"
    "记录无误的恢复计入，并书面说明理由。对重新计算结果仍有异议的，可申请复核一次。每个单位页列出其待处理的异议记录。",
    "Objections: a rated unit that disputes a record behind its rating, or the result, may object in writing to "
    "the evaluator within the objection period after publication, with supporting evidence. From then on the record "
    "is marked as under objection and counts in neither scores nor alerts. After checking, a wrong record is "
    "revoked and the scores, ranks and grades it touched are recomputed; a correct record counts again, with the "
    "reasons given in writing. A unit may ask once for a review of the recomputed result. Every unit page lists "
    "its pending objections.",
)
REVISION = (
    "修订政策：指标体系（框架文件）每年评价前公布，版本号为{version}；年度内不修改。修订在下一评价年度生效，"
    "并以新框架重新计算上一年度结果作为对照，说明变化原因。已公布的年度结果只因记录撤销或数据更正而重算，"
    "重算结果注明日期和原因。每次计算的输入文件、框架文件和软件版本以哈希值记录在运行清单中，同样的输入得到完全相同的结果。",
    "Revision policy: the framework file is published before each rating year (version {version}) and not changed "
    "during the year. Revisions take effect from the next rating year, with the previous year recomputed under the "
    "new framework for comparison and the changes explained. A published year is recomputed only when records are "
    "revoked or data corrected, with the date and the reason stated. Every run records its input files, framework "
    "and software version by hash in the manifest; the same inputs give identical results.",
)
EXPERIENCE = (
    "各项比率和每人次数按本年记录及此前{back}年的记录加权估计（权重依次为{weights}），因此更正某一年度的数据，"
    "也会重算其后{back}年的结果；新增年度不改变已公布年度的结果。",
    "Rates and counts per head are estimated from the year's records and those of the {back} years before it "
    "(weighted {weights}), so correcting one year's data also recomputes the results of the {back} years after it; "
    "adding a year leaves the years already published unchanged.",
)


def experience_text(fw, lang: str) -> str:
    """The revision consequence of experience over years (`[methods] experience_years`), or ''."""
    years = int(fw.methods.get("experience_years") or 1)
    if years <= 1:
        return ""
    d = float(fw.methods.get("experience_discount", 1.0))
    weights = ("、" if lang == "zh" else ", ").join(f"{d ** k:g}" for k in range(years))
    return ("" if lang == "zh" else " ") + pick(EXPERIENCE, lang).format(back=years - 1, weights=weights)


LIMITATIONS = [
    ("记录类指标依赖各来源报送的完整性：报送越完整的单位记录越多，得分可能偏低。投诉量等指标也受当地报送习惯影响。",
     "Record-based indicators depend on how completely each source reports: a unit whose records are reported more "
     "fully shows more of them and may score lower. Volumes such as complaints also reflect local reporting habits."),
    ("案例少的比率（如少数几份合同的履约率）波动大：单位页标出样本过少的数值，并列出其背后的计数。",
     "Rates on few cases (e.g. the on-time rate of a handful of contracts) swing widely: unit pages flag values "
     "resting on too few cases and show the counts behind them."),
    ("排名在同类型、同层级单位之间比较；不同组之间的排名不可直接比较。排名区间反映评价假设的不确定性，不反映数据本身的误差。",
     "Ranks compare units of the same kind and level only; ranks from different groups are not comparable. Rank "
     "intervals show the uncertainty of the rating's assumptions, not errors in the data themselves."),
    ("数据未覆盖的年度或表格，其指标记为缺失而非零；覆盖范围见“数据来源”。",
     "Where a table does not cover a year, its indicators are missing, never zero; see the data sources for what "
     "each covers."),
    ("模型预警是对下一年度发生严重失信事件的概率估计，仅供内部核查参考，不作为评价结论，也不对外公布。",
     "Model alerts estimate the probability of a serious integrity event in the next year; they prompt internal "
     "checks, are not a rating finding and are not published."),
]


def pick(pair, lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def statement(fw, lang: str) -> dict:
    """Every prose part of the method statement, filled in from the framework `fw`."""
    zh = lang == "zh"
    sep = "、" if zh else ", "
    share = fw.weight_shares()
    dims = sep.join(f"{node_label(d, lang)}{fmt.pct(share[d.code])}" if zh else
                    f"{node_label(d, lang)} {fmt.pct(share[d.code])}" for d in fw.children(fw.nodes[0].code))
    heavy = sep.join(f"{node_label(n, lang)}（{n.weight:g}）" if zh else f"{node_label(n, lang)} ({n.weight:g})"
                     for n in fw.indicators if n.weight > 1) or ("无" if zh else "none")
    noise = f"{100 * float((fw.uncertainty or {}).get('weight_noise', 0)):g}%"
    bands, prev = [], None
    for g in fw.grades:
        label = f"{g.code}（{node_label(g, lang)}）" if zh else f"{g.code} ({node_label(g, lang)})"
        rng = (f"{g.min:g}分及以上" if prev is None else f"{g.min:g}至{prev:g}分以下") if zh else (
            f"{g.min:g} and above" if prev is None else f"{g.min:g} to under {prev:g}")
        bands.append(f"{label}：{rng}" if zh else f"{label}: {rng}")
        prev = g.min
    name, params = _default_normalisation(fw)
    zmean, zsd = (list(params or ()) + [50.0, 10.0])[:2]
    if name == "zscore":
        formula = (FORMULA_ZSCORE if zh else FORMULA_ZSCORE_EN).format(mean=f"{zmean:g}", sd=f"{zsd:g}")
    elif name == "minmax":
        formula = FORMULA_MINMAX if zh else FORMULA_MINMAX_EN
    else:
        formula = ""
    has_goalposts = any(fw.normalisation_of(n)[0] == "goalposts" for n in fw.indicators)
    threshold = fmt.pct(fw.methods.get("data_threshold") or 0)
    return {
        "basis": pick(BASIS[0], lang), "scope": pick(SCOPE, lang),
        "normalise": (pick(NORMALISE_ZSCORE, lang).format(mean=f"{zmean:g}", sd=f"{zsd:g}") if name == "zscore"
                      else pick(NORMALISE, lang)), "normalise_default": method_text("normalise", fw.methods.get("normalise"), lang),
        "formulas": [f for f in (formula, (FORMULA_GOALPOSTS if zh else FORMULA_GOALPOSTS_EN) if has_goalposts else "",
                                 FORMULA_AGGREGATE if zh else FORMULA_AGGREGATE_EN, pick(FORMULA_LOSS, lang)) if f],
        "aggregate": pick(AGGREGATE, lang).format(threshold=threshold),
        "weights": pick(WEIGHTS, lang).format(dims=dims, heavy=heavy, noise=noise),
        "grades": pick(GRADES, lang).format(bands=("；" if zh else "; ").join(bands)),
        "lifecycle": pick(LIFECYCLE, lang).format(rectified=f"{fw.lifecycle.rectified_weight:g}"),
        "objection": pick(OBJECTION, lang),
        "revision": pick(REVISION, lang).format(version=fw.version) + experience_text(fw, lang),
        "limitations": [pick(x, lang) for x in LIMITATIONS],
    }


def _default_normalisation(fw) -> tuple[str, tuple]:
    from indicators.spec import parse_spec

    try:
        return parse_spec(fw.methods.get("normalise"))
    except (ValueError, TypeError):
        return "", ()
