"""Fixtures of the Pilot tests."""

from __future__ import annotations

import pytest

from tests.support.terminal_writes import capture_writes


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Everything the app writes to its (headless) terminal."""
    return capture_writes(monkeypatch)
