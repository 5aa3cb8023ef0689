"""Benchmark `sovtui up`: 1 vs 3 workers, and sovtui vs `docker-compose up -d`, to all nodes ALIVE.

Run: PYTHONPATH=. python tests/bench/bench_compose_up.py [--file F] [--workers 3] [--repeat 1]
Targets: up(3 workers) <= 1.3 x up(1 worker), since workers start in parallel;
         sovtui up <= 1.0 x docker-compose up -d + waiting for the same ALIVE nodes.
Uses its own project names, ports and subnet; removes everything it started.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sovtui.cluster import readiness
from sovtui.cluster.compose.docker_driver import ComposeDriver
from sovtui.cluster.ports import free_port

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "deployments/compose/cpu-ray-cluster.yaml"


def _environment() -> str:
    """Private ports/subnet and a small object store; returns the dashboard URL."""
    port = free_port()
    os.environ.update(
        {
            "XDG_STATE_HOME": tempfile.mkdtemp(prefix="sovtui-bench-"),
            "SOVTUI_DASHBOARD_PORT": str(port),
            "SOVTUI_CLIENT_PORT": str(free_port()),
            "SOVTUI_RAY_SUBNET": "172.31.251.0/24",
            "SOVTUI_RAY_HEAD_IP": "172.31.251.10",
            "SOVTUI_OBJECT_STORE_BYTES": str(100 * 2**20),
            "SOVTUI_SHM_SIZE": "256m",
        }
    )
    return f"http://127.0.0.1:{port}"


def time_sovtui(file: Path, workers: int) -> float:
    driver = ComposeDriver(f"bench-{uuid.uuid4().hex[:6]}")
    start = time.perf_counter()
    try:
        driver.up(file, workers)  # returns once workers + 1 nodes are ALIVE
        return time.perf_counter() - start
    finally:
        driver.down()


def time_docker_compose(file: Path, workers: int, url: str) -> float:
    project = f"bench-dc-{uuid.uuid4().hex[:6]}"
    token = secrets.token_urlsafe(32)
    env = {**os.environ, "RAY_AUTH_TOKEN": token}
    base = ["docker-compose", "--compatibility", "-p", project, "-f", str(file)]
    start = time.perf_counter()
    try:
        subprocess.run(
            [*base, "up", "-d", "--scale", f"ray-worker={workers}"],
            env=env,
            check=True,
            capture_output=True,
        )
        readiness.wait_for_gcs(url, 180, lambda: None)
        readiness.wait_for_nodes(url, token, workers + 1, 180)
        return time.perf_counter() - start
    finally:
        subprocess.run([*base, "down", "-t", "5"], env=env, check=False, capture_output=True)


def _median(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    url = _environment()
    print(f"file: {args.file}  (warm-up run first, not counted)")
    time_sovtui(args.file, 1)
    one = _median(args.repeat, lambda: time_sovtui(args.file, 1))
    many = _median(args.repeat, lambda: time_sovtui(args.file, args.workers))
    compose = _median(args.repeat, lambda: time_docker_compose(args.file, args.workers, url))
    print(f"sovtui up, 1 worker  -> 2 nodes ALIVE: {one:6.1f} s")
    print(f"sovtui up, {args.workers} workers -> {args.workers + 1} nodes ALIVE: {many:6.1f} s")
    print(f"  ratio {args.workers} vs 1 workers: {many / one:.2f}x (target <= 1.3x)")
    print(f"docker-compose up -d + wait, {args.workers} workers: {compose:6.1f} s")
    print(f"  ratio sovtui / docker-compose: {many / compose:.2f}x (target <= 1.0x)")


if __name__ == "__main__":
    main()
