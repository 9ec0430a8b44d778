"""Benchmarks (``python -m bench.<kind>``); each prints a JSON object as its last line."""
