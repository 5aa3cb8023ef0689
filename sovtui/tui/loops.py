"""Starting a polling model's loop as a Textual worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from textual.dom import DOMNode
from textual.worker import Worker


def start_loop(node: DOMNode, loop: Callable[[], Awaitable[None]], group: str) -> Worker[None]:
    """Run `loop` (e.g. `poller.run`) in a worker of `group` (named `poll` or `*-poll`).

    The callable, not a coroutine, goes to the worker: the coroutine is made when the worker
    starts, so an app that stops before then leaves no "coroutine was never awaited" warning
    on the terminal. (Textual's overloads do not infer a callable's result: hence the cast.)
    """
    return cast("Worker[None]", node.run_worker(cast(Any, loop), group=group, exit_on_error=False))
