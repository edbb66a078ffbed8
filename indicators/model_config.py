"""Settings of the learned early-warning model: the framework's `[model]` table.

Every key has a default here, so a framework only states what it changes. The framework checker
fills the defaults and reports bad values with the framework's other problems, when it is loaded.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from indicators.errors import FrameworkError
from indicators.framework import ALERT_LEVELS, Framework

CANDIDATES = ("logit", "gbm")
#: Keys every `[[alert]]` entry may give besides its kind's: its name, whether it counts as an alert
#: or is shown on the watch list, its legal basis, and what to do about it (docs/early-warning.md).
ALERT_ACTION_KEYS = {"status": "alert", "legal_basis": "", "action_zh": "", "action_en": "",
                     "owner_zh": "", "owner_en": "", "follow_up_days": 0, "name_zh": "", "name_en": ""}
ALERT_STATUSES = ("alert", "watch")
SELECT_BY = ("auroc", "average_precision", "brier")
#: Keys a `[model]` table may no longer give, with why: a framework that still sets one is told so,
#: rather than having it ignored.
REMOVED_KEYS = {"gbm_subsample": "no longer used: the gradient boosting is histogram-based and fits every "
                                 "tree on all training rows; remove the key"}


def alert_action_problems(path: str, entry: dict) -> list[tuple[str, str, str]]:
    """(code, path, message) of every bad value among an `[[alert]]` entry's ALERT_ACTION_KEYS.

    Examples
    --------
    >>> alert_action_problems("alert[0]", {"status": "maybe", "follow_up_days": -3})[0][2]
    "'maybe' is not allowed; expected alert or watch"
    """
    out = []
    if "status" in entry and entry["status"] not in ALERT_STATUSES:
        out.append(("bad_value", f"{path}.status", f"{entry['status']!r} is not allowed; expected alert or watch"))
    for key in ("legal_basis", "action_zh", "action_en", "owner_zh", "owner_en", "name_zh", "name_en"):
        if key in entry and not isinstance(entry[key], str):
            out.append(("bad_value", f"{path}.{key}", "expected a text"))
    days = entry.get("follow_up_days", 0)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        out.append(("bad_value", f"{path}.follow_up_days", f"{days!r} is not a whole number >= 0"))
    return out


@dataclass(frozen=True)
class ModelConfig:
    """The `[model]` table of a framework, with defaults (docs/early-warning.md)."""

    event_categories: tuple[str, ...] = ("dishonest_debtor", "judgment_unperformed")
    event_severity: int = 3
    event_scope: str = "region"  # region: a region's events include its departments'
    candidates: tuple[str, ...] = CANDIDATES
    min_train_years: int = 2  # labelled years needed before a year is predicted
    select_by: str = "auroc"  # pooled out-of-time metric that chooses the model
    top_k: int = 20  # precision at the top k units of a year
    mu: float = 0.7  # preference for catching events over avoiding false alarms (usefulness)
    # a model level: expected next-year event rate >= lift x the base rate, for at most share of the rated units
    level_lift: dict = field(default_factory=lambda: {"red": 4.0, "orange": 2.5, "yellow": 1.5})
    level_share: dict = field(default_factory=lambda: {"red": 0.05, "orange": 0.10, "yellow": 0.12, "blue": 0.03})
    # clean periods a rule condition's level is held before it is lowered; 0: held unit-years had the
    # base rate's next-year event rate in the backtest (models/BACKTEST.md)
    hold_periods: int = 0
    # what to do on a model alert, who does it, and days after publication to follow up (0: the level's)
    action_zh: str = "对模型列出的主要风险因素开展专项核查，督促单位制定防范措施"
    action_en: str = "Targeted check of the risk factors the model lists; the unit sets out preventive measures"
    owner_zh: str = "省社会信用体系建设统筹协调机构"
    owner_en: str = "Provincial social credit coordination office"
    follow_up_days: int = 0
    logit_c: float = 0.03  # L2 penalty of the logit, which reads the score and its context (few features)
    # histogram gradient boosting: 60 trees at 0.08 rank the unseen seeds' backtest as the earlier
    # 100 exact trees at 0.05 on half the rows did (models/BACKTEST.md), in under half the time
    gbm_trees: int = 60
    gbm_depth: int = 3
    gbm_learning_rate: float = 0.08
    gbm_max_features: float = 0.3  # share of the features tried at each split
    calibration: str = "sigmoid"  # sigmoid (Platt) or isotonic
    calibration_folds: int = 2
    explain_top: int = 5  # features listed per unit and year

    @classmethod
    def from_table(cls, table: dict) -> tuple["ModelConfig", list[str]]:
        """The settings of a `[model]` table (defaults for the keys it omits) and every problem
        with its values, one `[code] model.key: ...` line each (a removed key, REMOVED_KEYS, is one);
        other unknown keys are ignored here.

        Examples
        --------
        >>> cfg, problems = ModelConfig.from_table({"event_severity": 5, "candidates": ["logit"]})
        >>> cfg.candidates, problems
        (('logit',), ['[bad_value] model.event_severity: 5 is not allowed; expected a whole number >= 1 and <= 3'])
        >>> ModelConfig.from_table({"gbm_subsample": 0.5})[1][0].split(":")[0]
        '[removed_key] model.gbm_subsample'
        """
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in table.items() if k in known}
        for k in ("event_categories", "candidates"):
            if isinstance(kw.get(k), list):
                kw[k] = tuple(kw[k])
        cfg = cls(**kw)
        removed = [f"[removed_key] model.{k}: {why}" for k, why in REMOVED_KEYS.items() if k in table]
        return cfg, removed + cfg._problems()

    @classmethod
    def from_framework(cls, framework: Framework) -> "ModelConfig":
        """The settings of `framework.model` (checked again: a framework may be modified in code).

        Examples
        --------
        >>> from indicators.framework_load import load_framework
        >>> ModelConfig.from_framework(load_framework()).event_severity
        3
        """
        raw = dict(framework.model or {})
        known = {f.name for f in fields(cls)}
        cfg, problems = cls.from_table(raw)
        problems = [f"[unknown_key] model.{k}: unknown key" for k in raw if k not in known and k not in REMOVED_KEYS] + problems
        if problems:
            raise FrameworkError(f"{framework.source or '<framework>'}: {len(problems)} problem(s) in [model]", problems)
        return cfg

    def _problems(self) -> list[str]:
        out = []

        def bad(key, expected):
            out.append(f"[bad_value] model.{key}: {getattr(self, key)!r} is not allowed; expected {expected}")

        def number(key, low, high=None, whole=False):
            v = getattr(self, key)
            ok = not isinstance(v, bool) and isinstance(v, int if whole else (int, float))
            if not ok or v < low or (high is not None and v > high):
                bad(key, f"{'a whole number' if whole else 'a number'} >= {low}" + ("" if high is None else f" and <= {high}"))

        if not isinstance(self.event_categories, tuple) or not self.event_categories:
            bad("event_categories", "a non-empty list of failure-record categories")
        number("event_severity", 1, 3, whole=True)
        if self.event_scope not in ("region", "unit"):
            bad("event_scope", "region or unit")
        if not isinstance(self.candidates, tuple) or not self.candidates or any(c not in CANDIDATES for c in self.candidates):
            bad("candidates", "a non-empty list of " + ", ".join(CANDIDATES))
        if self.select_by not in SELECT_BY:
            bad("select_by", "one of " + ", ".join(SELECT_BY))
        if self.calibration not in ("sigmoid", "isotonic"):
            bad("calibration", "sigmoid or isotonic")
        number("min_train_years", 1, whole=True)
        number("top_k", 1, whole=True)
        number("mu", 0.0, 1.0)
        number("hold_periods", 0, whole=True)
        number("follow_up_days", 0, whole=True)
        for key in ("action_zh", "action_en", "owner_zh", "owner_en"):
            if not isinstance(getattr(self, key), str):
                bad(key, "a text")
        number("logit_c", 1e-9)
        number("gbm_trees", 1, whole=True)
        number("gbm_depth", 1, whole=True)
        number("gbm_learning_rate", 1e-9, 1.0)
        number("gbm_max_features", 1e-9, 1.0)
        number("calibration_folds", 2, whole=True)
        number("explain_top", 1, whole=True)
        lift, share = self.level_lift, self.level_share

        def positive(v, high=None):
            return not isinstance(v, bool) and isinstance(v, (int, float)) and v > 0 and (high is None or v <= high)

        if not isinstance(lift, dict) or not lift or set(lift) - set(ALERT_LEVELS) or not all(positive(v) for v in lift.values()):
            bad("level_lift", "a table of level = multiple of the base rate (> 0), levels red, orange, yellow, blue")
        else:
            order = [lift[lv] for lv in ALERT_LEVELS if lv in lift]
            if any(a <= b for a, b in zip(order, order[1:])):
                bad("level_lift", "multiples falling from red to blue (a higher level means a higher event rate)")
        if not isinstance(share, dict) or set(share) - set(ALERT_LEVELS) or not all(positive(v, 1.0) for v in share.values()):
            bad("level_share", "a table of level = share of rated units (0 < share <= 1)")
        return out

    def as_dict(self) -> dict:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}
