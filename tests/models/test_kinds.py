"""The registry of alert kinds: one module per kind whose parameters agree with the keys the
framework checks, and whose check stops a rule changed in code after the framework was loaded."""
from __future__ import annotations

import dataclasses
from dataclasses import MISSING, fields

import polars as pl
import pytest

from indicators.framework import ALERT_KEYS, ALERT_KINDS
from indicators.framework_load import load_framework
from models import kinds, rules


def test_every_kind_has_one_module_and_agrees_with_the_framework_keys():
    assert set(kinds.KINDS) == set(ALERT_KINDS)
    for name, module in kinds.KINDS.items():
        assert module.KIND == name and callable(module.evaluate) and callable(module.describe)
        have = {f.name: f.default for f in fields(module.Params)}
        spec = ALERT_KEYS[name]
        assert set(spec["required"]) - {"level"} <= set(have), name
        for key, default in spec["optional"].items():
            assert key in have, (name, key)
            assert default is None or have[key] == default or (have[key] == () and default is None), (name, key)
        assert all(f.default is not MISSING for f in fields(module.Params))  # every parameter has a default


def test_shipped_rules_pass_their_kinds_check():
    for rule in load_framework().alerts:
        assert kinds.params(rule).check() == []


def test_a_rule_broken_in_code_is_refused_with_its_name():
    fw = load_framework()
    spike = next(a for a in fw.alerts if a["kind"] == "spike")
    broken = dataclasses.replace(fw, alerts=({**spike, "min_history": 40},))
    v = pl.DataFrame(schema={"unit_id": pl.String, "year": pl.Int64, "indicator": pl.String, "value": pl.Float64})
    with pytest.raises(ValueError, match="complaint_spike"):
        rules.evaluate(v, broken)
