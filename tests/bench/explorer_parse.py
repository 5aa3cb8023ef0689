"""Parse time and memory of the explorer's biggest answers: 100,000 tasks and 10,000 actors
(with detail), made by replicating the rows recorded from a real 2.60 head
(tests/data/recorded/ray-2.60.0-explorer). Run: python -m tests.bench.explorer_parse

Each figure is the best of 3 parses in this process; RSS is the process's peak (ru_maxrss),
measured in a fresh process per answer so one answer's garbage does not count for the next.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from typing import Any

from tests.support.recorded_ray import RECORDED

EXPLORER = RECORDED / "ray-2.60.0-explorer"
CASES = {"tasks": ("tasks", "Task", 100_000), "actors": ("actors_detail", "Actor", 10_000)}


def replicated(name: str, count: int) -> bytes:
    body = json.loads((EXPLORER / f"{name}.body").read_bytes())
    rows = body["data"]["result"]["result"]
    out: list[dict[str, Any]] = []
    for index in range(count):
        row = dict(rows[index % len(rows)])
        for key in ("task_id", "actor_id"):
            if row.get(key):
                row[key] = f"{index:016x}" + row[key][16:]
        out.append(row)
    result = body["data"]["result"]
    result.update(result=out, total=count, num_after_truncation=count, num_filtered=count)
    return json.dumps(body).encode()


def measure(case: str) -> dict[str, float]:
    from sovtui.ray_api import state_models
    from sovtui.ray_api.state import parse_list

    name, model, count = CASES[case]
    content = replicated(name, count)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        parsed = parse_list(getattr(state_models, model), content, "bench", count)
        best = min(best, time.perf_counter() - started)
        assert len(parsed.items) == count
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rows": count,
        "body_mb": len(content) / 2**20,
        "parse_ms": best * 1000,
        "rss_peak_mb": peak,
        "rss_before_parse_mb": before,
    }


def main() -> None:
    if len(sys.argv) > 1:
        print(json.dumps(measure(sys.argv[1])))
        return
    for case in CASES:
        done = subprocess.run(
            [sys.executable, "-m", "tests.bench.explorer_parse", case],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout)
        print(
            f"{case:<7} {figures['rows']:>7} rows  {figures['body_mb']:6.1f} MiB  "
            f"parse {figures['parse_ms']:7.1f} ms  peak RSS {figures['rss_peak_mb']:6.1f} MB"
        )


if __name__ == "__main__":
    main()
