"""What a headless app writes to its terminal, and the OSC 52 sequence `y` writes."""

from __future__ import annotations

import base64

import pytest
from textual.drivers.headless_driver import HeadlessDriver


def capture_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Everything the app writes to its (headless) terminal from now on."""
    out: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "write", lambda self, data: out.append(data))
    return out


def osc52(text: str) -> str:
    """The clipboard write (OSC 52) of `text`."""
    return f"\x1b]52;c;{base64.b64encode(text.encode()).decode()}\a"
