"""Risk early warning: declarative rule alerts and learned models, backtested out of time.

rules (entry: `evaluate`), evidence and dynamics (the rule kinds); features, estimators, risk
(entry: `early_warning`), backtest, levels, card and config (the learned model); evaluate
(backtests on generated worlds). docs/early-warning.md describes them.
"""
