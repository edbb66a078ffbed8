"""Self-contained HTML reports rendered from a finished run's tables."""
