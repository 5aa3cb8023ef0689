"""Preset workloads described in YAML: models and loader (no Textual)."""
