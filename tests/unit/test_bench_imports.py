"""The CLI's bench command and the bench core must not import ray (import-linter says so too)."""

from __future__ import annotations

import subprocess
import sys


def test_bench_cli_and_core_do_not_import_ray() -> None:
    code = (
        "import sys\n"
        "import sovtui.cli.bench, sovtui.bench.metrics, sovtui.bench.results\n"
        "import sovtui.bench.scaling, sovtui.bench.runner, sovtui.bench.report, sovtui.bench.jobs\n"
        "import sovtui.workloads._metrics\n"
        "bad = [m for m in sys.modules if m == 'ray' or m.startswith(('ray.', 'textual'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
