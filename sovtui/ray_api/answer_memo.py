"""The last parse of each query, reused while the answer's bytes stay the same.

An idle cluster answers a view's poll with the same bytes every time (its actors, its live
tasks, the dashboard's cached `/events`): parsing them again is the explorer's largest idle
cost on the client (10,000 actors with detail: ~16 MB, ~100 ms of parse every poll). A digest
of the body is ~50x cheaper than the parse, and is taken in a thread for big bodies (hashlib
lets the GIL go while it reads).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

THREAD_BYTES = 256 * 1024  # bodies past this are hashed and parsed in a thread
REMEMBERED = 16  # queries remembered (a view makes 1-3 a poll)


def _digest(content: bytes) -> bytes:
    return hashlib.blake2b(content, digest_size=16).digest()


class AnswerMemo:
    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._last: OrderedDict[Hashable, tuple[bytes, Any]] = OrderedDict()

    async def parsed(self, key: Hashable, content: bytes, parse: Callable[[bytes], T]) -> T:
        """`parse(content)`, or what it gave last time `key` answered exactly `content`.
        Big bodies are hashed and parsed in a thread (the parse must be thread-safe and hold
        the GIL only in short calls: see list_parse, events_parse)."""
        last = self._last.get(key)
        if len(content) > THREAD_BYTES and last is None:
            # Nothing to compare with: the parse starts at once, the hash (which lets the GIL
            # go) beside it on another core.
            digest, value = await asyncio.gather(
                asyncio.to_thread(_digest, content), asyncio.to_thread(parse, content)
            )
        elif len(content) > THREAD_BYTES:  # one trip to a thread: hash, and parse if changed
            digest, value = await asyncio.to_thread(_digest_and_parse, content, last, parse)
        else:
            digest, value = _digest_and_parse(content, last, parse)
        self._last[key] = (digest, value)
        self._last.move_to_end(key)
        while len(self._last) > self._size:
            self._last.popitem(last=False)
        return value


def _digest_and_parse(
    content: bytes, last: tuple[bytes, Any] | None, parse: Callable[[bytes], T]
) -> tuple[bytes, T]:
    """(the digest, what `last` holds when it has the same digest, else `parse(content)`)."""
    digest = _digest(content)
    if last is not None and last[0] == digest:
        return digest, last[1]
    return digest, parse(content)
