"""ps maths: CPU% and memory as `docker stats` computes them."""

from __future__ import annotations

from sovtui.cluster.compose.stats import cpu_percent, memory_usage


def test_cpu_percent() -> None:
    sample = {
        "cpu_stats": {
            "cpu_usage": {"total_usage": 300},
            "system_cpu_usage": 2000,
            "online_cpus": 2,
        },
        "precpu_stats": {"cpu_usage": {"total_usage": 100}, "system_cpu_usage": 1000},
    }
    assert cpu_percent(sample) == 40.0
    assert cpu_percent({}) is None


def test_memory_subtracts_inactive_cache() -> None:
    sample = {"memory_stats": {"usage": 1000, "limit": 4000, "stats": {"inactive_file": 200}}}
    assert memory_usage(sample) == (800, 4000)
    assert memory_usage({}) == (None, None)
