"""The machine a benchmark ran on, and which of numpy's SIMD sorts to use there.

numpy picks its sort kernel at import time from the CPU's features (x86-simd-sort: AVX-512 or
AVX2 for 32/64-bit keys). The fastest-looking one is not always the fastest: on AMD Zen 4 the
AVX-512 kernel's memory-destination `vpcompressq` is microcoded, and numpy 2.4 sorts int64 there
about 6x slower with AVX-512 than with AVX2. `NPY_DISABLE_CPU_FEATURES` (read when numpy is
imported) turns the AVX-512 targets off; Ray starts workers with it when a task's runtime_env
sets it. The benchmark measures both kernels in workers and runs every numpy step (sovtui's
tasks, the limit, the numpy.sort baseline) with the faster one, and records which.
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any

import numpy as np
import ray

DISABLE_VAR = "NPY_DISABLE_CPU_FEATURES"
PROBE_KEYS = 2_000_000
CHOICES = ("auto", "default", "no-avx512")


def _features() -> tuple[dict[str, bool], set[str]]:
    """numpy's runtime CPU features and the targets its build can dispatch to."""
    import importlib

    try:
        umath = importlib.import_module("numpy._core._multiarray_umath")  # numpy 2.x
    except ImportError:  # pragma: no cover - numpy 1.x
        umath = importlib.import_module("numpy.core._multiarray_umath")
    features = dict(getattr(umath, "__cpu_features__", {}))
    targets = set(getattr(umath, "__cpu_dispatch__", ())) | set(
        getattr(umath, "__cpu_baseline__", ())
    )
    return features, targets


def avx512_targets() -> list[str]:
    """The dispatch targets to disable so that numpy falls back to AVX2 (empty: none built)."""
    _, targets = _features()
    return sorted(t for t in targets if t.startswith("AVX512") or t == "X86_V4")


def sort_simd_level() -> str:
    """The SIMD level numpy's int64 sort dispatches to in this process."""
    features, targets = _features()

    def on(*names: str) -> bool:
        return any(features.get(name) and name in targets for name in names)

    if on("X86_V4", "AVX512_SKX"):
        return "AVX-512 (X86_V4)"
    if on("X86_V3", "AVX2"):
        return "AVX2 (X86_V3)"
    if on("SVE"):
        return "SVE"
    if on("ASIMD", "NEON"):
        return "ASIMD"
    return "scalar"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.lower().startswith(("model name", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def describe() -> dict[str, Any]:
    """numpy version, its sort's SIMD level, the CPU model and cores of this process's host."""
    return {
        "numpy_version": np.__version__,
        "numpy_sort_simd": sort_simd_level(),
        "numpy_disabled_features": os.environ.get(DISABLE_VAR, ""),
        "cpu_model": cpu_model(),
        "cpu_cores": cpu_cores(),
        "machine": platform.machine(),
    }


def sort_rate(keys: int = PROBE_KEYS, repeat: int = 3) -> float:
    """Keys per second of an in-place int64 sort here (best of `repeat`)."""
    data = np.random.default_rng(12345).integers(-(2**62), 2**62, size=keys, dtype=np.int64)
    best = float("inf")
    for _ in range(repeat):
        work = data.copy()
        start = time.perf_counter()
        work.sort(kind="quicksort")
        best = min(best, time.perf_counter() - start)
    return keys / best if best > 0 else 0.0


@ray.remote
def _probe(keys: int) -> dict[str, Any]:
    return {**describe(), "sort_keys_per_s": sort_rate(keys)}


def env_options(disabled: list[str]) -> dict[str, Any]:
    """Task options that start numpy with these dispatch targets off ({} for none)."""
    if not disabled:
        return {}
    return {"runtime_env": {"env_vars": {DISABLE_VAR: " ".join(disabled)}}}


def choose(choice: str, workers: int, keys: int = PROBE_KEYS) -> tuple[dict[str, Any], dict]:
    """Pick numpy's sort kernel for the benchmark's tasks: (task options, machine record).

    `auto` measures the default kernel and the AVX2 fallback in workers and takes the faster
    (by 10% or more; else the default). The AVX2 probe runs `workers` tasks at once, which also
    starts the worker processes the timed runs will use.
    """
    default = ray.get(_probe.remote(keys))
    machine: dict[str, Any] = {**default, "numpy_sort_default": default["numpy_sort_simd"]}
    machine["numpy_sort_rate_default"] = default["sort_keys_per_s"]
    disabled = avx512_targets() if default["numpy_sort_simd"].startswith("AVX-512") else []
    options: dict[str, Any] = {}
    if disabled and choice != "default":
        candidate = env_options(disabled)
        probes = ray.get([_probe.options(**candidate).remote(keys) for _ in range(max(1, workers))])
        fallback = max(probes, key=lambda p: p["sort_keys_per_s"])
        machine["numpy_sort_rate_no_avx512"] = fallback["sort_keys_per_s"]
        if choice == "no-avx512" or fallback["sort_keys_per_s"] > 1.1 * default["sort_keys_per_s"]:
            options = candidate
            machine.update(fallback)
    machine.pop("sort_keys_per_s", None)
    machine["numpy_choice"] = "no-avx512" if options else "default"
    return options, machine
