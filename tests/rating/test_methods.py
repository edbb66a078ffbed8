"""The method registries: every method explains itself in both languages, its parameters are
checked before it runs, and the reports and help read the same entries."""
from __future__ import annotations

import numpy as np
import pytest

from indicators.errors import MethodError
from rating.aggregate import AGGREGATORS, aggregate
from rating.impute import IMPUTERS
from rating.methods import Method, Registry
from rating.normalise import NORMALISERS, normalise
from rating.treat import TREATMENTS
from reports.i18n import METHODS, method_explain, method_text

FAMILIES = {"normalise": NORMALISERS, "aggregate": AGGREGATORS, "treat": TREATMENTS, "impute": IMPUTERS}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_method_explains_itself_in_both_languages(family):
    registry = FAMILIES[family]
    assert METHODS[family] is registry  # the reports read the registry itself
    for name, m in registry.items():
        assert m.name == name and m.usage.startswith(name)
        for lang in ("zh", "en"):
            assert method_explain(family, name, lang) == m.explanation(lang) != ""
            assert method_text(family, name, lang) == m.text(lang) != ""
    assert registry.help == ", ".join(m.usage for m in registry.values())


def test_an_entry_without_a_text_is_refused():
    with pytest.raises(ValueError, match="Chinese and an English"):
        Method("half", lambda x: x / 2, ("减半", ""), ("除以2。", "Divided by 2."))
    m = Method("half", lambda x: x / 2, ("减半", "half"), ("除以2。", "Divided by 2."))
    with pytest.raises(ValueError, match="registered twice"):
        Registry("scaling", [m, m])


def test_parameters_are_checked_before_the_method_runs():
    assert NORMALISERS.resolve("minmax:1,100")[1] == (1.0, 100.0)
    assert NORMALISERS["goalposts"].bind((0, 1, 100, 1)) == (0.0, 1.0, 100.0, True)  # 1 reads as true
    assert TREATMENTS["winsorise"].bind((3.0,)) == (3,)  # a whole number
    for spec, why in (("minmax:a,100", "lower must be a number"), ("zscore:0,1,2", "at most 2"),
                      ("goalposts:1", "it needs 2"), ("goalposts:0,1,1,maybe", "trunc must be true or false")):
        with pytest.raises(MethodError, match=why):
            NORMALISERS.resolve(spec)
    with pytest.raises(MethodError, match="whole number"):
        TREATMENTS.resolve("winsorise:2.5")
    with pytest.raises(MethodError, match="unsuitable parameters"):
        aggregate(np.ones((2, 2)), np.ones(2), "generalised", (1.0, 2.0))
    with pytest.raises(MethodError, match="unknown normalisation method 'magic'"):
        NORMALISERS.resolve("magic")


def test_a_bug_inside_a_method_is_not_reported_as_a_method_error(monkeypatch):
    def broken(x):
        raise TypeError("a bug")

    monkeypatch.setitem(NORMALISERS._methods, "broken", Method("broken", broken, ("坏", "broken"), ("坏。", "Broken.")))
    with pytest.raises(TypeError, match="a bug"):
        normalise(np.ones(3), "broken")


def test_whole_table_methods_are_marked_in_their_entries():
    assert {n for n, m in AGGREGATORS.items() if m.whole_table} == {"copeland", "mpi", "topsis"}
