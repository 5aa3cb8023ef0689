"""The wait helpers in tests/support: a timeout names what was waited for."""

from __future__ import annotations

import pytest
from textual.app import App

from tests.support.waiting import describe, wait_for, wait_until


def test_describe_quotes_a_lambda_and_names_a_function() -> None:
    rows = [1, 2]

    def table_is_full() -> bool:
        return len(rows) == 3

    assert describe(lambda: len(rows) == 3) == "lambda: len(rows) == 3"
    assert describe(table_is_full).endswith("table_is_full")


async def test_wait_for_returns_once_true_and_fails_naming_the_condition() -> None:
    app: App[None] = App()
    async with app.run_test() as pilot:
        ticks: list[int] = []
        app.set_interval(0.01, lambda: ticks.append(1))
        await wait_for(pilot, lambda: len(ticks) >= 2, timeout=5)
        with pytest.raises(AssertionError, match=r'0\.1 s waiting for lambda: app\.title == "x"'):
            await wait_for(pilot, lambda: app.title == "x", timeout=0.1)
        with pytest.raises(AssertionError, match=r"waiting for the title.*\nno title yet"):
            await wait_for(
                pilot, lambda: False, 0.1, what="the title", details=lambda: "no title yet"
            )


def test_wait_until_fails_naming_what() -> None:
    with pytest.raises(AssertionError, match="waiting for a file"):
        wait_until(lambda: False, 0.05, "a file", step=0.01)
