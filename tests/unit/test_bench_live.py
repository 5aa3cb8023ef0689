"""The Bench screen's view model, on the benchmark jobs recorded from a real Ray head."""

from __future__ import annotations

import json
from pathlib import Path

from sovtui.bench import results as store
from sovtui.bench.live import (
    bench_view,
    quick_values,
    save_once,
    tui_run,
    unique_records,
    worker_counts,
)
from sovtui.bench.metrics import JobSeries, parse_text
from tests.support.recorded_ray import RAY_260_BENCH, RecordedRay


def recorded_series(workload: str) -> JobSeries:
    job_id = RecordedRay(jobs_folder=RAY_260_BENCH).recorded_job(workload)
    log = json.loads((RAY_260_BENCH / "logs" / f"{job_id}.json").read_text())["logs"]
    records, parser = parse_text(log)
    return JobSeries(records, parser)


def test_sort_view() -> None:
    view = bench_view(recorded_series("sort"))
    assert view.workload == "sort" and view.rate_key == "keys_per_s" and view.finished
    assert view.verified is True and view.malformed == 0
    assert set(view.throughput) == {"sovtui", "limit", "numpy"}
    xs = [x for x, _ in view.throughput["sovtui"]]
    assert xs == sorted(xs) and xs[0] >= 0
    assert [name for name, _ in view.phases] == ["sample", "partition", "merge"]
    assert view.phases_label == "best run"
    assert [r.method for r in view.results] == ["sovtui", "limit", "numpy", "ray_data"]
    sovtui, limit, numpy = view.results[:3]
    assert numpy.ratio == 1.0
    assert sovtui.rate is not None and numpy.rate is not None and limit.rate is not None
    assert sovtui.ratio == sovtui.rate / numpy.rate
    assert limit.seconds is not None and limit.rate > sovtui.rate  # a lower bound on the time
    # 200,000 keys on a head that frees objects once a second: the size says little, and the
    # view says so
    assert view.too_small is sovtui and sovtui.overhead_share is not None
    assert sovtui.overhead_share > 0.25 and not limit.too_small
    assert view.keys == 200_000
    assert view.machine.startswith("AMD EPYC, 2 cores, numpy 2.4.6 (AVX2")
    assert [row["workers"] for row in view.scaling] == [1, 2]
    assert all(row["brent_s"] is not None for row in view.scaling)
    assert view.loss == [] and view.accuracy == []


def test_train_view_drops_rays_repeated_worker_lines() -> None:
    series = recorded_series("train")
    assert len(unique_records(series.records)) < len(series.records)  # Ray printed some twice
    view = bench_view(series)
    assert view.workload == "train" and view.rate_key == "samples_per_s"
    assert set(view.throughput) == {"sovtui x1", "sovtui x2", "torch_single x1"}
    assert all(len(points) == 3 for points in view.throughput.values())  # 3 epochs each
    assert view.curve_label == "sovtui x2"
    steps = [x for x, _ in view.loss]
    assert steps == sorted(steps) and len(steps) == len(set(steps))
    assert [x for x, _ in view.accuracy] == [18.0, 36.0, 54.0]  # epoch ends, in steps
    assert [r.method for r in view.results] == ["sovtui", "torch_single"]
    assert view.baseline == "torch_single" and view.results[1].ratio == 1.0
    assert view.phases == []
    assert view.too_small is None and view.machine == ""


def test_empty_view() -> None:
    view = bench_view(JobSeries())
    assert view.workload is None and view.results == [] and not view.finished


def test_worker_counts() -> None:
    assert worker_counts(1) == "1"
    assert worker_counts(2) == "1,2"
    assert worker_counts(6) == "1,2,4,6"
    assert worker_counts(64) == "1,2,4,8"
    assert worker_counts(64, limit=4) == "1,2,4"


def test_quick_values() -> None:
    sort = quick_values("sort-bench", 4)
    assert sort["scaling"] == "1,2,4" and sort["baselines"] is True
    assert "keys" not in sort  # the workload sizes it from the cluster's object store
    assert quick_values("train-bench", 2)["scaling"] == "1,2"


def test_tui_run_is_saved_once(tmp_path: Path) -> None:
    series = recorded_series("sort")
    run = tui_run(
        "sort",
        {"keys": 200000, "max-key": None},
        series.records,
        job_id="job-1",
        address="http://127.0.0.1:8265",
        malformed=0,
    )
    assert run.params == {"keys": 200000, "max_key": None}
    assert run.metadata["mode"] == "ray job" and run.metadata["malformed_metric_lines"] == 0
    assert run.metadata["verified"] is True and run.metadata["job_id"] == "job-1"
    assert save_once(run, tmp_path) is not None
    assert save_once(run, tmp_path) is None
    (saved,) = store.history(tmp_path)
    assert [row["method"] for row in saved.results] == ["sovtui", "limit", "numpy", "ray_data"]
    limit = saved.results[1]
    assert limit["seconds"] > 0 and limit["keys_per_s"] > 0
    assert saved.results[0]["too_small"] is True
    assert saved.metadata["numpy_version"] == "2.4.6" and saved.metadata["cpu_cores"] == 2
    assert saved.metadata["numpy_sort_simd"].startswith("AVX2")
    assert saved.metadata["cpu_model"] == "AMD EPYC" and saved.metadata["keys"] == 200_000
    assert [point["workers"] for point in saved.scaling] == [1, 2]


def test_result_cells_flag_a_size_too_small() -> None:
    from sovtui.bench.live import ResultRow
    from sovtui.tui.widgets.bench_tables import result_cells

    row = ResultRow("sovtui", 0.5, 2e6, 0.01, too_small=True, overhead_share=0.97)
    assert result_cells(row) == ("sovtui", "0.500", "2.00M", "0.01x too small")
    assert result_cells(ResultRow("limit", 0.1, 1e7, 5.0))[3] == "5.00x"
