"""A real local Ray head for workload tests, started once per session inside the test process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        try:
            # address="local": never attach to some other cluster running on this machine.
            ray.init(
                address="local",
                num_cpus=2,
                include_dashboard=False,
                configure_logging=False,
                _system_config={"worker_niceness": 0},
            )
        except Exception as error:  # no Ray here: skip rather than fail unrelated suites
            pytest.skip(f"Ray cannot start: {error}")
    yield
    ray.shutdown()
