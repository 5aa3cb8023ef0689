"""Command line: argument parsing and the subcommands (headless and the TUI's start)."""

from sovtui.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
