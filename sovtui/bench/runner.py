"""Run a workload as a local subprocess and collect its metrics lines (this process: no ray).

The workload attaches to the cluster named by RAY_ADDRESS (a GCS `host:port` or `auto`), or,
with no address, starts a private Ray head inside the subprocess (`--local-cpus`), which goes
away with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sovtui.bench.metrics import PREFIX, MetricRecord, MetricsParser

WORKLOADS = (
    "hello_tasks",
    "counter_actor",
    "shared_data",
    "parallel_speedup",
    "sort_bench",
    "train_bench",
)


@dataclass
class WorkloadRun:
    returncode: int
    records: list[MetricRecord] = field(default_factory=list)
    output: list[str] = field(default_factory=list)  # the human-readable lines
    malformed: int = 0

    def by_phase(self, phase: str) -> list[MetricRecord]:
        return [record for record in self.records if record.phase == phase]

    def take(
        self, parser: MetricsParser, line: str, on_line: Callable[[str], None] | None = None
    ) -> None:
        """One complete output line (no newline): metrics go to the parser, the rest to
        `output` and `on_line`."""
        self.records.extend(parser.feed(line + "\n"))
        if PREFIX not in line:
            self.output.append(line)
            if on_line:
                on_line(line)

    def finish(self, parser: MetricsParser) -> None:
        """The output has ended: a last line without newline, and the malformed count."""
        self.records.extend(parser.finish())
        self.malformed = parser.malformed


def workload_module(name: str) -> str:
    """`sort_bench` -> `sovtui.workloads.sort_bench`; only the known workloads."""
    if name not in WORKLOADS:
        raise ValueError(f"unknown workload {name!r}")
    return f"sovtui.workloads.{name}"


def workload_command(name: str, args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", workload_module(name), *args]


def workload_env(ray_address: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if ray_address:
        env["RAY_ADDRESS"] = ray_address
    else:
        env.pop("RAY_ADDRESS", None)
    # The subprocess must import this very sovtui, even when it is run from a source checkout.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def run_workload(
    name: str,
    args: Sequence[str],
    ray_address: str | None = None,
    on_line: Callable[[str], None] | None = None,
    timeout_s: float | None = None,
) -> WorkloadRun:
    """Run to completion; human lines go to `on_line` as they arrive (stderr merged in)."""
    parser = MetricsParser()
    result = WorkloadRun(returncode=-1)
    with subprocess.Popen(
        workload_command(name, args),
        env=workload_env(ray_address),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            result.take(parser, line.rstrip("\n"), on_line)
        result.finish(parser)
        result.returncode = process.wait(timeout=timeout_s)
    return result
