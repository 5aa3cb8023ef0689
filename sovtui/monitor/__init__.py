"""Polling models and history, without Textual: what the TUI renders."""
