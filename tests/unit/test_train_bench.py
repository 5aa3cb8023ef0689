"""The training workload's gradient sync, per-phase times and best-of rounds (no Ray here)."""

from __future__ import annotations

import multiprocessing
import socket
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from sovtui.workloads import train_bench  # noqa: E402  (after the importorskips)

TINY = {
    "epochs": 2,
    "batch_size": 128,
    "hidden": 32,
    "repeat_data": 1,
    "lr": 0.2,
    "seed": 0,
    "sync_every": 4,
    "method": "test",
}


def test_gradients_accumulate_in_place_in_one_flat_buffer() -> None:
    model = train_bench.build_model(8)
    params = list(model.parameters())
    flat = train_bench.flat_grads(params)
    x = torch.rand(5, 64)
    model(x).sum().backward()
    model(x).sum().backward()
    end = flat.data_ptr() + flat.numel() * flat.element_size()
    # Still views of the buffer after two backwards: the all-reduce of `flat` syncs them all.
    assert all(flat.data_ptr() <= p.grad.data_ptr() < end for p in params)
    reference = train_bench.build_model(8)
    reference.load_state_dict(model.state_dict())
    (2 * reference(x).sum()).backward()
    expected = torch.cat([p.grad.reshape(-1) for p in reference.parameters()])
    assert torch.allclose(flat, expected)
    flat.zero_()
    assert all(float(p.grad.abs().sum()) == 0.0 for p in params)


class _TwoEqualRanks:
    """torch.distributed's all_reduce as two ranks holding the same tensor would see it."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def all_reduce(self, tensor: Any) -> None:
        self.sizes.append(tensor.numel())
        tensor.mul_(2)


def test_grad_sync_waits_then_averages_the_flat_buffer() -> None:
    flat = torch.arange(6, dtype=torch.float32)
    dist = _TwoEqualRanks()
    wait, transfer = train_bench.GradSync(flat, 2, dist)()
    assert dist.sizes == [1, 6]  # the one-element wait first, then the gradients
    assert torch.equal(flat, torch.arange(6, dtype=torch.float32))  # the mean of 2 equal ranks
    assert wait >= 0 and transfer >= 0
    assert train_bench.GradSync(flat, 1, None)() == (0.0, 0.0)


def _rank(rank: int, port: int, queue: Any) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        queue.put(train_bench.train_loop(TINY, rank, 2))
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_two_ranks_train_the_same_model_as_one() -> None:
    """Data parallelism must not change what is measured: 2 gloo ranks, each on half of every
    global batch, reach the loss and accuracy of 1 process on the whole batch."""
    single = train_bench.train_loop(TINY)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    port = _free_port()
    ranks = [context.Process(target=_rank, args=(rank, port, queue)) for rank in (0, 1)]
    for process in ranks:
        process.start()
    summaries = {s["rank"]: s for s in (queue.get(timeout=120) for _ in ranks)}
    for process in ranks:
        process.join(timeout=30)
    assert [p.exitcode for p in ranks] == [0, 0]
    pairs = zip(summaries[0]["history"], summaries[1]["history"], strict=True)
    for one, (rank0, rank1) in zip(single["history"], pairs, strict=True):
        # Each rank's loss is over its half of every batch: their mean is the whole batch's.
        assert (rank0["loss"] + rank1["loss"]) / 2 == pytest.approx(one["loss"], rel=1e-4)
        assert rank0["accuracy"] == rank1["accuracy"] == pytest.approx(one["accuracy"], abs=1e-3)
    phases = summaries[1]["history"][-1]["phases"]
    assert phases["allreduce_s"] > 0 and phases["compute_s"] > 0
    assert single["history"][-1]["phases"]["allreduce_s"] == 0.0
    last = single["history"][-1]
    assert 0 < last["phases"]["cpu_s"] <= last["seconds"] + 0.01  # read a moment after the wall


def _summary(rank: int, compute: list[float], wait: float = 0.0) -> dict[str, Any]:
    history = []
    for epoch, seconds in enumerate(compute):
        phases = dict.fromkeys(train_bench.PHASES, 0.0)
        phases.update(compute_s=seconds, compute_cpu_s=seconds * 0.75, wait_s=wait, cpu_s=1.0)
        history.append(
            {
                "epoch": epoch,
                "accuracy": 0.9,
                "loss": 0.1,
                "seconds": seconds + wait + 0.5,
                "samples_per_s": 1000.0 / (seconds + wait + 0.5),
                "samples_per_s_per_worker": 500.0 / (seconds + wait + 0.5),
                "phases": phases,
            }
        )
    return {"rank": rank, "history": history}


def test_phase_times_average_the_timed_epochs_over_the_ranks() -> None:
    rank0 = _summary(0, [9.0, 1.0, 3.0], wait=0.5)
    summary = {**rank0, "ranks": [rank0, _summary(1, [9.0, 3.0, 5.0])]}
    phases = train_bench.phase_times(summary)
    # The first epoch (9 s of warm-up) is left out, as it is from samples/s.
    assert phases["compute_s"] == pytest.approx(3.0)  # (1 + 3 + 3 + 5) / 4
    assert phases["compute_cpu_s"] == pytest.approx(2.25)
    assert phases["stolen_s"] == pytest.approx(0.75)
    assert phases["wait_s"] == pytest.approx(0.25)
    assert phases["epoch_s"] == pytest.approx(3.0)  # rank 0's epochs: 2 and 4 s
    assert phases["other_s"] == pytest.approx(0.0)  # its busy time covers the epoch here
    # 2 ranks, 1 s of CPU in an epoch of 3 s each
    assert phases["cores"] == pytest.approx(2 * 1.0 / 3.0, abs=1e-3)
    assert "compute 3.000 s (CPU 2.250), wait 0.250" in train_bench.phase_text(phases)


def test_best_runs_take_turns_and_keep_the_fastest() -> None:
    rates = {1: iter([5.0, 7.0, 6.0]), 2: iter([9.0, 8.0, 12.0])}
    calls: list[int] = []

    def fit(count: int) -> dict[str, Any]:
        calls.append(count)
        rate = next(rates[count])
        row = {"seconds": 1.0, "samples_per_s": rate, "samples_per_s_per_worker": rate / count}
        return {"history": [{**row, "accuracy": 0.9}], "rate": rate}

    best = train_bench.best_runs([1, 2], 3, fit)
    assert calls == [1, 2, 1, 2, 1, 2]
    assert {count: summary["rate"] for count, summary in best.items()} == {1: 7.0, 2: 12.0}
    rates[1] = iter([1.0])
    assert list(train_bench.best_runs([1], 0, fit)) == [1]  # at least one round
