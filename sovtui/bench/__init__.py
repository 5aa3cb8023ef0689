"""Benchmarks: metrics protocol, results store, scaling maths (no Textual)."""
