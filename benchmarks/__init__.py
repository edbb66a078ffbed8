"""Benchmarks of the engine: `python -m benchmarks --help` (results in benchmarks/RESULTS.md)."""
