"""Masking of personal data in free text, applied once, where text leaves the data layer.

What is masked, each replaced by a marker that keeps only the kind of data:

- e-mail addresses (`[邮箱]`), also with a full-width `＠`;
- resident ID numbers (`[身份证号]`): 18 characters, a region code, a real birth date, three
  digits and a check character (0-9 or X); the older 15-digit form and spaced-out numbers only
  after a word such as 身份证 or 证件号;
- bank card numbers (`[银行卡号]`): 16-19 digits, written in one run or in groups of four, that
  pass the Luhn check (as every payment card number does, and an amount rarely does); any 10-25
  digits after a word such as 卡号, 账号 or 银行账户;
- mobile numbers (`[手机号]`): 11 digits from 13x-19x, optionally with +86/0086 and `-` or spaces
  in the 3-4-4 groups;
- landline numbers (`[电话]`): an area code (0 and 2-3 digits, optionally in brackets) and a 7-8
  digit number, optionally with an extension; any 7-13 digit number after 电话, 座机, 联系方式, Tel;
- names of individuals (`[姓名]`): after a role word (经办人, 当事人, 举报人, 联系人, 负责人, 姓名 ...)
  or an official title (局长, 主任, 书记 ...): a common Chinese surname and one or two characters
  that end at punctuation or at a word that often follows a name (被, 等, 称, 的 ...), or the
  surname and 某/某某; a surname and up to two characters before a title (张三局长, 王局长) or
  同志/先生/女士; `Mr./Ms./Dr.` and a capitalised name. A name running straight into other
  text is not found: names are a best effort, numbers are not.

Digits count in their ASCII and full-width forms. Every pattern is anchored at the start of a
run and bounded in length, so masking takes linear time on any text. Numbers are matched only between boundaries
(no digit or Latin letter on either side, and no `-` before bank cards and landlines), so record
ids (`FR-000123`), amounts (`1200000元`, `3.2e6`), ISO dates and times, case numbers
(`（2024）粤01行初123号`) and unit ids are left alone. Names of government bodies are not
personal data and are kept; records are held against units, never against individuals.
"""
from __future__ import annotations

import re

D = "[0-9０-９]"  # a digit, ASCII or full width
_NOT_ALNUM = "0-9０-９A-Za-zＡ-Ｚａ-ｚ_"
L = f"(?<![{_NOT_ALNUM}])"  # left boundary of a number
#: right boundary; a number followed by a decimal part, a currency or a unit is an amount
R = f"(?![{_NOT_ALNUM}]|[.．][0-9０-９]|\\s{{0,3}}(?:元|万|亿|千|百|美元|港元|%|％|人次|户|件|笔|平方|亩|吨|公里|米))"
L_NO_DASH = f"(?<![{_NOT_ALNUM}-])"
_WIDE = str.maketrans("０１２３４５６７８９", "0123456789")

SURNAMES_2 = "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|令狐|夏侯|司徒|端木|申屠|轩辕|钟离|宇文"
SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤柯欧温庄翁骆麦关甘岑冼卓邝植伍庞古利巫饶赖涂詹凌容裴"
)
#: Characters of the names of bodies, never of a person's given name here (金融局局长 is no name).
_BODY = "局委会院室处科厅部所站队办府区县市镇乡村组司厂校署馆庭社团党政监管中心省州"
#: Words after which a person's name may follow.
ROLES = (
    "经办人|当事人|申请执行人|被执行人|申请人|执行人|举报人|投诉人|反映人|信访人|来电人|求助人|诉求人"
    "|联系人|负责人|法定代表人|法人代表|代理人|委托人|责任人|承办人|工作人员|公职人员|姓名|患者|业主|户主"
)
TITLES = "副?(?:厅长|局长|处长|科长|股长|主任|书记|镇长|乡长|区长|县长|市长|所长|队长|站长|院长|庭长|部长|主席)"
_CJK = "[\u4e00-\u9fff]"
#: a name ends at punctuation, the end, or a word that often follows one (被 问责, 等, 称 ...)
_END = "(?=[，。、；：:,;.!?！？）)\\]】」』\\s]|$|被|因|等|称|说|表示|反映|同志|先生|女士|的|在|于|已|未|和|与|及)"
_SURNAME = f"(?:{SURNAMES_2}|[{SURNAMES_1}])"
_GIVEN = f"(?:(?![{_BODY}]){_CJK})"
#: where a name before a title may start: not inside a word, or after a word such as 感谢, 据, 向
_AFTER_WORD = f"(?:(?<!{_CJK})|(?<=[谢向请找问给和与对由据经被让叫把将]))"
_NAME = f"{_SURNAME}(?:某{{1,2}}|{_GIVEN}{{1,2}}{_END})"

_EXT = f"(?:(?:-|转|ext\\.?\\s?){D}{{1,5}})?"  # an extension
_0, _1, _1_9, _2_9, _3_9 = "[0０]", "[1１]", "[1-9１-９]", "[2-9２-９]", "[3-9３-９]"

#: (kind, pattern, replacement), applied in this order.
PATTERNS = (
    # bounded parts, anchored at the start of a run: linear time on any text
    ("email", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}[@＠](?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}"
              r"(?![A-Za-z0-9-])", "[邮箱]"),
    ("id_card_context", f"(身份证号码|公民身份号码|身份证号|身份证|证件号码|证件号)([：:\\s]*){D}(?:[\\s-]?{D}){{13,16}}"
                        f"[\\s-]?[0-9０-９XxＸｘ]{R}", "\\1\\2[身份证号]"),
    ("id_card", f"{L}{_1_9}{D}{{5}}(?:18|19|20|１８|１９|２０){D}{{2}}(?:0[1-9]|1[0-2]|０[１-９]|１[０-２])"
                f"(?:0[1-9]|[12][0-9]|3[01]|０[１-９]|[１２][０-９]|３[０１]){D}{{3}}[0-9０-９XxＸｘ]{R}", "[身份证号]"),
    ("bank_card_context", f"(银行卡号|银行卡|卡号|银行账号|银行账户|账号|帐号|账户|帐户)([：:\\s]*){D}(?:[\\s-]?{D}){{9,24}}{R}",
     "\\1\\2[银行卡号]"),
    ("bank_card", f"{L_NO_DASH}{D}{{4}}(?:[ -]?{D}{{4}}){{3}}(?:[ -]?{D}{{1,3}})?{R}", "[银行卡号]"),  # Luhn, below
    ("mobile", f"{L}(?:(?:\\+|00)?86[\\s-]?)?{_1}{_3_9}{D}(?:[\\s-]?{D}{{4}}){{2}}{R}", "[手机号]"),
    ("landline_context", f"(电话号码|联系电话|联系方式|电话|座机|手机号|手机|传真|Tel|TEL|tel|Phone|phone|Fax|fax)([：:\\s.]*)"
                         f"(?:\\+?86[\\s-]?)?[(（]?{D}{{0,4}}[)）]?[\\s-]?{D}(?:[\\s-]?{D}){{6,12}}{_EXT}{R}", "\\1\\2[电话]"),
    ("landline", f"{L_NO_DASH}(?:(?:\\+|00)86[\\s-]?[(（]?{_0}?{_1_9}{D}{{1,2}}[)）]?|[(（]{_0}{_1_9}{D}{{1,2}}[)）]|{_0}{_1_9}{D}{{1,2}})"
                 f"[\\s-]?{_2_9}{D}{{2,3}}[\\s-]?{D}{{4}}{_EXT}{R}", "[电话]"),
    ("name_after_role", f"({ROLES}|{TITLES})([：:\\s]*){_NAME}", "\\1\\2[姓名]"),
    ("name_before_title", f"{_AFTER_WORD}{_SURNAME}{_GIVEN}{{0,2}}(?={TITLES}|同志|先生|女士)", "[姓名]"),
    ("name_latin", r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z]+(?:[\s-][A-Z][a-z]+)?", "[姓名]"),
)
_COMPILED = tuple((n, re.compile(p), r) for n, p, r in PATTERNS)
#: Cheap tests that skip the patterns a text cannot match.
_NUMBERS = re.compile(f"{D}(?:[^0-9０-９]{{0,3}}{D}){{6}}|[@＠]")
_PEOPLE = re.compile(f"{ROLES}|{TITLES}|同志|先生|女士|Mr|Mrs|Ms|Miss|Dr")


def luhn(digits: str) -> bool:
    """True when the digit string passes the Luhn check of payment card numbers.

    >>> luhn("6222021234567890128"), luhn("6222021234567890127")
    (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _bank_card(match: re.Match) -> str:
    digits = re.sub(r"[^0-9]", "", match.group(0).translate(_WIDE))
    if 16 <= len(digits) <= 19 and luhn(digits):
        return "[银行卡号]"
    return match.group(0)


def mask(text: str | None) -> str | None:
    """Mask personal data in one string (None stays None).

    >>> mask("联系人电话13812345678，身份证440106199001011234")
    '联系人电话[手机号]，身份证[身份证号]'
    >>> mask("记录FR-000123，金额1200000元，2024-03-01")
    '记录FR-000123，金额1200000元，2024-03-01'
    >>> mask("经办人：陈某，座机020-83456789")
    '经办人：[姓名]，座机[电话]'
    """
    if text is None:
        return None
    text = str(text)
    numbers, people = _NUMBERS.search(text) is not None, _PEOPLE.search(text) is not None
    if not numbers and not people:
        return text
    for name, rx, rep in _COMPILED:
        if name.startswith("name"):
            if not people:
                continue
        elif not numbers:
            continue
        text = rx.sub(_bank_card if name == "bank_card" else rep, text)
    return text


def mask_column(df, column: str = "description"):
    """A polars frame with the text column `column` masked (absent: the frame unchanged)."""
    import polars as pl

    if column not in df.columns:
        return df
    values = df.get_column(column).cast(pl.String).to_list()
    return df.with_columns(pl.Series(column, [mask(v) for v in values], dtype=pl.String))


def mask_frame(df, columns=None, exclude=()):
    """A polars frame with every text column (or `columns`) masked, except those in `exclude`;
    e.g. quarantined rows, whose every value is shown as read."""
    import polars as pl

    names = columns if columns is not None else [c for c, t in df.schema.items() if t == pl.String]
    for c in names:
        if c not in exclude:
            df = mask_column(df, c)
    return df
