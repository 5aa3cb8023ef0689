"""A small Ray driver that gives the explorer something of every kind to show (run as a Ray job).

Run by tests/integration/test_explorer_ray.py and tests/recording/record_explorer_responses.py with
`ray job submit -- python tests/support/explorer_driver.py`; it needs no more than one CPU:

- actors: a named detached `Counter` (ALIVE), a `Crasher` whose constructor raises (DEAD,
  CREATION_TASK_ERROR), a `Victim` killed with ray.kill (DEAD, RAY_KILL), an `Exiter` whose
  worker process dies (DEAD, crashed), a `GpuActor` asking for a GPU (PENDING_CREATION: infeasible
  on a CPU-only head);
- tasks: `ok` x20 FINISHED, `fail` x3 FAILED, `sleeper` RUNNING, `needs_gpu` infeasible,
  `needs_cpus` waiting for capacity (asks for every CPU of the cluster while `sleeper` holds one);
- placement groups: one placed (`{"CPU": 0.1}`), one infeasible (`{"GPU": 1}`);
- objects: a few `ray.put` values held by the driver.

It prints `EXPLORER READY` once everything is in place, then sleeps until the job is stopped.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

import ray
from ray.util.placement_group import placement_group

NAMESPACE = "sovtui-test"
COUNTER = "sovtui-counter"


@ray.remote(num_cpus=0)
class Counter:
    def __init__(self) -> None:
        self.count = 0

    def inc(self) -> int:
        self.count += 1
        return self.count


@ray.remote(num_cpus=0)
class Crasher:
    def __init__(self) -> None:
        raise ValueError("explorer: constructor failed on purpose")

    def ping(self) -> str:
        return "never"


@ray.remote(num_cpus=0)
class Victim:
    def ping(self) -> str:
        return "pong"


@ray.remote(num_cpus=0)
class Exiter:
    def ping(self) -> str:
        return "pong"

    def die(self) -> None:
        os._exit(1)


@ray.remote(num_cpus=0, num_gpus=1)
class GpuActor:
    def ping(self) -> str:
        return "never"


@ray.remote(num_cpus=0.1)
def ok(index: int) -> int:
    return index * 2


@ray.remote(num_cpus=0.1, max_retries=0)
def fail(index: int) -> int:
    raise RuntimeError(f"explorer: task {index} failed on purpose")


@ray.remote(num_cpus=1)
def sleeper() -> None:
    time.sleep(3600)


@ray.remote(num_cpus=0, num_gpus=1)
def needs_gpu() -> str:
    return "never"


def main() -> None:
    ray.init(namespace=NAMESPACE)
    total_cpus = ray.cluster_resources().get("CPU", 1)
    counter = Counter.options(name=COUNTER, lifetime="detached", get_if_exists=True).remote()  # type: ignore[attr-defined]
    ray.get(counter.inc.remote())

    crasher = Crasher.remote()  # type: ignore[attr-defined]
    with contextlib.suppress(Exception):
        ray.get(crasher.ping.remote())

    victim = Victim.options(name="sovtui-victim").remote()  # type: ignore[attr-defined]
    ray.get(victim.ping.remote())
    ray.kill(victim, no_restart=True)

    exiter = Exiter.remote()  # type: ignore[attr-defined]
    ray.get(exiter.ping.remote())
    with contextlib.suppress(Exception):
        ray.get(exiter.die.remote())

    gpu_actor = GpuActor.remote()  # type: ignore[attr-defined]  # stays pending: no GPU anywhere

    print(sum(ray.get([ok.remote(i) for i in range(20)])), flush=True)
    failures = [fail.remote(i) for i in range(3)]
    for ref in failures:
        with contextlib.suppress(Exception):
            ray.get(ref)

    running = sleeper.remote()
    # Feasible (the cluster has this many CPUs) but not now: `sleeper` holds one of them.
    waiting = sleeper.options(num_cpus=total_cpus).remote()
    infeasible = needs_gpu.remote()

    placed = placement_group([{"CPU": 0.1}], strategy="PACK", name="sovtui-placed")
    ray.get(placed.ready(), timeout=60)
    unplaceable = placement_group([{"GPU": 1}], strategy="STRICT_PACK", name="sovtui-infeasible")

    objects = [ray.put(b"x" * (1024 * (index + 1))) for index in range(5)]

    print("EXPLORER READY", flush=True)
    sys.stdout.flush()
    keep = (counter, gpu_actor, running, waiting, infeasible, placed, unplaceable, objects)
    while keep:
        time.sleep(5)


if __name__ == "__main__":
    main()
