"""Free-text descriptions of failure records: plain Chinese text, a minority with personal data
(ID-card numbers, mobile numbers, landlines) so that masking can be tested."""
from __future__ import annotations

import numpy as np

#: Share of descriptions that carry personal data.
PII_SHARE = 0.12

TEMPLATES = {
    "judgment_lost": (
        "{name}在行政诉讼案件{case}中败诉，法院判决撤销其作出的行政行为。",
        "{name}作为被告的行政赔偿案件{case}经审理判决其承担赔偿责任，涉及金额{amount}。",
        "{name}签订的合同纠纷案件{case}一审判决其败诉，需支付款项{amount}。",
    ),
    "judgment_unperformed": (
        "{name}未在判决确定的期限内履行生效判决{case}确定的给付义务，涉及金额{amount}。",
        "法院执行案件{case}中，{name}未按执行通知履行支付工程款的义务，涉及金额{amount}。",
        "{name}拒不履行生效行政判决{case}，经法院督促仍未履行。",
    ),
    "dishonest_debtor": (
        "{name}因未履行生效法律文书{case}确定的义务，被人民法院纳入失信被执行人名单，涉及金额{amount}。",
        "执行案件{case}中，{name}有履行能力而拒不履行，被列为失信被执行人。",
    ),
    "administrative_penalty": (
        "{name}作为项目建设单位未依法办理相关手续，被主管部门处以罚款{amount}。",
        "{name}在政府采购活动中存在违规行为，被财政部门责令改正并处罚款{amount}。",
        "{name}管理的项目违反生态环境保护规定，被处以罚款{amount}。",
    ),
    "disciplinary": (
        "{name}工作人员在招商引资项目中违规作出承诺，受到政务处分。",
        "{name}有关负责人违反工作纪律，拖延办理群众诉求，受到党纪处分。",
        "{name}工作人员在政府采购履约验收中弄虚作假，受到政务记过处分。",
    ),
    "accountability": (
        "{name}未按期完成政务失信专项治理整改任务，有关负责人被问责。",
        "{name}拖欠中小企业账款问题整改不力，主要负责人被约谈问责。",
        "{name}在12345热线诉求办理中推诿扯皮，被通报批评并问责。",
    ),
    "broken_commitment": (
        "{name}未兑现招商引资协议中约定的政策优惠，涉及金额{amount}。",
        "{name}公开承诺的惠企资金未按期拨付到位，涉及金额{amount}。",
        "{name}新官不理旧账，未履行前任签订的合作协议。",
    ),
    "online_service_shortfall": (
        "{name}行政审批事项网上全流程办理率未达到省定标准。",
        "{name}政务服务事项未按要求接入一体化在线政务服务平台。",
        "{name}网上办事指南要素缺失，办件超时未办结。",
    ),
}

PII_TEMPLATES = (
    "（经办人：{surname}某，联系电话：{mobile}）",
    "（申请执行人{surname}某某，身份证号码：{idno}）",
    "（投诉人联系电话：{landline}）",
    "（当事人{surname}某，身份证号{idno}，手机{mobile}）",
    "（举报人{surname}某某，联系方式{mobile}，座机{landline}）",
)
SURNAMES = "陈李黄张梁林刘吴罗何郑杨谢周叶钟曾蔡许邓冯"
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "158", "159", "177", "180", "182", "183", "185", "186", "187",
                   "188", "189", "199")
#: Telephone area codes of the 21 cities (by city code).
AREA_CODES = {
    "440100": "020", "440200": "0751", "440300": "0755", "440400": "0756", "440500": "0754",
    "440600": "0757", "440700": "0750", "440800": "0759", "440900": "0668", "441200": "0758",
    "441300": "0752", "441400": "0753", "441500": "0660", "441600": "0762", "441700": "0662",
    "441800": "0763", "441900": "0769", "442000": "0760", "445100": "0768", "445200": "0663",
    "445300": "0766",
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number(region: str, birth: str, seq: int) -> str:
    """An 18-character resident ID number (GB 11643) with a valid check character."""
    body = f"{region}{birth}{seq:03d}"
    return body + _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS)) % 11]


def amount_text(amount: float | None) -> str:
    if amount is None or not np.isfinite(amount):
        return "若干"
    return f"{amount / 1e4:.2f}万元"


def descriptions(g: np.random.Generator, category: np.ndarray, name: np.ndarray, amount: np.ndarray,
                 year: np.ndarray, county: np.ndarray, city: np.ndarray) -> tuple[list[str | None], np.ndarray]:
    """One description per record (None for ~4% without one) and whether it carries personal data."""
    n = len(category)
    pick = g.random(n)
    missing = g.random(n) < 0.04
    pii = (g.random(n) < PII_SHARE) & ~missing
    pii_pick = g.integers(0, len(PII_TEMPLATES), n)
    case_no = g.integers(1, 3000, n)
    court = g.integers(1, 100, n)
    kind_pick = g.integers(0, 3, n)
    surname = g.integers(0, len(SURNAMES), n)
    mob_prefix = g.integers(0, len(MOBILE_PREFIXES), n)
    mob_rest = g.integers(0, 10**8, n)
    land = g.integers(2 * 10**7, 9 * 10**7, n)
    birth_days = g.integers(0, 365 * 50, n)
    seq = g.integers(0, 1000, n)
    out: list[str | None] = []
    for i in range(n):
        if missing[i]:
            out.append(None)
            continue
        templates = TEMPLATES[category[i]]
        case = f"（{year[i]}）粤{court[i]:02d}{('行初', '执', '民初')[kind_pick[i]]}{case_no[i]}号"
        a = amount[i]
        text = templates[int(pick[i] * len(templates))].format(
            name=name[i], case=case, amount=amount_text(None if np.isnan(a) else float(a)))
        if pii[i]:
            birth = (np.datetime64("1950-01-01") + int(birth_days[i])).astype(object)
            text += PII_TEMPLATES[pii_pick[i]].format(
                surname=SURNAMES[surname[i]],
                mobile=f"{MOBILE_PREFIXES[mob_prefix[i]]}{mob_rest[i]:08d}",
                landline=f"{AREA_CODES.get(city[i], '020')}-{land[i]}",
                idno=id_number(county[i], birth.strftime("%Y%m%d"), int(seq[i])),
            )
        out.append(text)
    return out, pii
