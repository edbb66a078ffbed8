"""What a rating covers: which indicators the data can compute, which dimensions they reach,
and whether the result may be published as the official rating.

An indicator with no value in any unit-year (its table absent, or nothing computable) is taken
out of the run; the weights of what remains are renormalised by aggregation. A rating whose
computable indicators carry too little of the index weight, or that lacks a table the
framework requires for publication (`[publication]`), is never labelled official.
"""
from __future__ import annotations

import polars as pl

from indicators.framework import Framework


def top_dimension(fw: Framework, code: str) -> str:
    """The child of the index that `code` lies under (itself for a dimension)."""
    node = fw.node(code)
    while node.parent is not None and node.parent != fw.code:
        node = fw.node(node.parent)
    return node.code


def scope_of(fw: Framework, indicators: pl.DataFrame, coverage: dict[str, dict]) -> dict:
    """The manifest's "scope" entry for the full framework `fw` and the computed `indicators`
    (long: unit_id, year, indicator, value)."""
    index_codes = [n.code for n in fw.indicators]
    valued = indicators.filter(pl.col("value").is_not_null() & pl.col("indicator").is_in(index_codes))
    has_value = set(valued["indicator"].unique().to_list())
    out = [c for c in index_codes if c not in has_value]
    dims = [n.code for n in fw.children(fw.code)]
    reached = {top_dimension(fw, c) for c in has_value}
    latest = valued["year"].max() if valued.height else None
    now = set(valued.filter(pl.col("year") == latest)["indicator"].unique().to_list()) if latest is not None else set()
    eff = fw.effective_weights()
    weight = float(sum(eff[n.code] for n in fw.indicators if n.code in now))
    weight = round(weight, 6)
    missing = [t for t in fw.publication["required_tables"] if not coverage.get(t, {}).get("present")]
    minimum = float(fw.publication["min_covered_weight"])
    zh, en = [], []
    if missing:
        zh.append(f"缺少评价框架要求的数据表：{'、'.join(missing)}")
        en.append(f"tables the framework requires for publication are absent: {', '.join(missing)}")
    if weight < minimum:
        zh.append(f"可计算指标仅占指数权重的{weight:.0%}（正式发布至少需{minimum:.0%}）")
        en.append(f"the computable indicators carry {weight:.0%} of the index weight "
                  f"(official publication needs at least {minimum:.0%})")
    return {
        "covered": [d for d in dims if d in reached],
        "not_covered": [d for d in dims if d not in reached],
        "names": {c: [fw.node(c).name_zh, fw.node(c).name_en] for c in dims + out},  # for pages of a rating without them
        "indicators_out": out,
        "covered_weight": weight,
        "latest_year": int(latest) if latest is not None else None,
        "official": not zh,
        "reason_zh": "；".join(zh),
        "reason_en": "; ".join(en),
    }
