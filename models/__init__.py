"""Risk early warning: declarative rule alerts and learned models, backtested out of time."""
