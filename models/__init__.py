"""Risk early warning: declarative rule alerts and learned models, backtested out of time.

rules (entry: `evaluate`), kinds (the registry of rule kinds, one module each; evidence and
dynamics hold what they share), alert (one alert row and the alerts table); features,
estimators, origins (the fits at every origin), cache (their results kept between runs), risk
(entry: `early_warning`), backtest, levels and card (the learned model, configured by
indicators.model_config); evaluate (backtests on generated worlds). docs/early-warning.md
describes them.
"""
