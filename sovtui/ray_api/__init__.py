"""Async client for the Ray dashboard HTTP API, and pydantic models of its answers (no Textual)."""
