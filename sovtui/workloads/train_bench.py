"""Data-parallel training of a small MLP on scikit-learn's digits with Ray Train's TorchTrainer.

Fair comparison by construction: the same model, data, global batch, epochs and step count for
every worker count; one torch thread per worker (and for the single-process baseline), so p
workers use p cores. Each worker processes global_batch/p samples per step (its shard).
The digits set (1,797 8x8 images, bundled with scikit-learn: nothing is downloaded) is repeated
`--repeat-data` times with small Gaussian noise so that each step has enough work to amortise
the gradient all-reduce. CPU + gloo by default; CUDA when the cluster has GPUs (`--gpu auto`).

Usage: python -m sovtui.workloads.train_bench --workers 2 --baselines --scaling 1,2
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import ray

from sovtui.workloads._common import (
    add_ray_options,
    alive_nodes,
    cluster_cpus,
    cluster_gpus,
    init_ray,
    load_average,
    main_wrapper,
    worker_niceness,
)
from sovtui.workloads._metrics import emit

WORKLOAD = "train"


def load_data(repeat: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    xs = [x] + [x + rng.normal(0, 0.05, x.shape).astype(np.float32) for _ in range(repeat - 1)]
    x_all = np.concatenate(xs)
    y_all = np.tile(y, repeat)
    order = rng.permutation(len(y_all))
    return x_all[order], y_all[order]


def build_model(hidden: int):
    import torch.nn as nn

    return nn.Sequential(
        nn.Linear(64, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 10),
    )


PHASES = ("data_s", "compute_s", "compute_cpu_s", "wait_s", "allreduce_s", "optimizer_s", "cpu_s")
CPU_TIMES = ("compute_cpu_s", "cpu_s")  # CPU time, not a slice of the epoch's wall time


def flat_grads(params: list) -> Any:
    """One flat zeroed buffer; each parameter's .grad becomes a view into it.

    Backward accumulates into the views in place, so the gradient sync is a single all-reduce
    of one contiguous buffer: no per-bucket calls, no copy in or out (DDP's
    gradient_as_bucket_view, without its per-parameter hooks on every backward)."""
    import torch

    total = sum(p.numel() for p in params)
    flat = torch.zeros(total, dtype=params[0].dtype, device=params[0].device)
    offset = 0
    for param in params:
        param.grad = flat[offset : offset + param.numel()].view_as(param)
        offset += param.numel()
    return flat


def cpu_of_thread() -> int:
    """The CPU this thread last ran on (field 39 of /proc/thread-self/stat); -1 if unknown."""
    try:
        with open("/proc/thread-self/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[36])
    except (OSError, IndexError, ValueError):
        return -1


class GradSync:
    """Averages gradients over `world` ranks in two timed parts.

    `wait`: a one-element all-reduce, which returns once every rank has reached the sync, so it
    is the time this rank idles for the slowest one (load imbalance, a preempted peer).
    `allreduce`: the flat gradient buffer's all-reduce itself (the transfer and the sum).
    """

    def __init__(self, flat, world: int, dist=None) -> None:
        import torch

        self.flat, self.world, self.dist = flat, world, dist
        self.token = torch.zeros(1, device=flat.device)  # NCCL reduces only GPU tensors

    def __call__(self) -> tuple[float, float]:
        if self.world == 1 or self.dist is None:
            return 0.0, 0.0
        t0 = time.perf_counter()
        self.dist.all_reduce(self.token)
        t1 = time.perf_counter()
        self.dist.all_reduce(self.flat)
        self.flat.div_(self.world)
        return t1 - t0, time.perf_counter() - t1


def train_loop(
    config: dict, rank: int = 0, world: int = 1, device=None, prepare=None, report=None
) -> dict:
    """The loop shared by Ray Train workers and the single-process baseline.

    Every phase of a step is timed apart (data, forward/backward wall and CPU, waiting for the
    other ranks, the gradient all-reduce, the optimizer step): the per-phase times are what say
    where p workers lose against p times one."""
    import torch
    import torch.nn.functional as functional

    torch.set_num_threads(1)  # one core per worker: p workers use p cores, so speedup is fair
    torch.manual_seed(config["seed"])
    x, y = load_data(config["repeat_data"], config["seed"])
    holdout = len(y) // 10
    x_test, y_test = torch.from_numpy(x[:holdout]), torch.from_numpy(y[:holdout])
    x_train, y_train = x[holdout:], y[holdout:]
    local_batch = max(1, config["batch_size"] // world)
    steps = len(y_train) // config["batch_size"]
    model = build_model(config["hidden"])
    # The gradients are averaged by GradSync below, so Ray Train only moves the model.
    model = prepare(model, parallel_strategy=None) if prepare else model.to(device or "cpu")
    device = device or torch.device("cpu")
    params = list(model.parameters())
    dist: Any = None
    if world > 1:
        import torch.distributed

        dist = torch.distributed
        for param in params:  # as DDP does: every rank starts from rank 0's weights
            dist.broadcast(param.data, src=0)
    flat = flat_grads(params)
    sync_grads = GradSync(flat, world, dist)
    optimizer = torch.optim.SGD(params, lr=config["lr"], momentum=0.9)
    history = []
    cpus: set[int] = set()
    for epoch in range(config["epochs"]):
        model.train()
        phases = dict.fromkeys(PHASES, 0.0)
        start, cpu_start = time.perf_counter(), time.thread_time()
        loss_sum = 0.0
        for step in range(steps):
            t0 = time.perf_counter()
            # Rank r takes its slice of the global batch: every rank sees distinct samples.
            lo = step * config["batch_size"] + rank * local_batch
            xb = torch.from_numpy(x_train[lo : lo + local_batch]).to(device)
            yb = torch.from_numpy(y_train[lo : lo + local_batch]).to(device)
            t1, c1 = time.perf_counter(), time.thread_time()
            loss = functional.cross_entropy(model(xb), yb)
            (loss / config["sync_every"]).backward()  # accumulates into the flat buffer
            t2, c2 = time.perf_counter(), time.thread_time()
            # Gradients are all-reduced once every `sync_every` batches: a synchronous
            # collective waits for the slowest rank, so fewer of them per sample is what lets
            # p ranks on a busy machine approach p times the throughput.
            if (step + 1) % config["sync_every"] == 0 or step == steps - 1:
                wait, transfer = sync_grads()
                t3 = time.perf_counter()
                optimizer.step()
                flat.zero_()  # in place: the .grad views stay views of the flat buffer
                phases["wait_s"] += wait
                phases["allreduce_s"] += transfer
                phases["optimizer_s"] += time.perf_counter() - t3
            phases["data_s"] += t1 - t0
            phases["compute_s"] += t2 - t1
            phases["compute_cpu_s"] += c2 - c1
            cpus.add(cpu_of_thread())
            loss_sum += float(loss.detach())
            if rank == 0 and step % max(1, steps // 4) == 0:
                emit(
                    WORKLOAD,
                    "step",
                    step=epoch * steps + step,
                    epoch=epoch,
                    loss=float(loss.detach()),
                    workers=world,
                    method=config["method"],
                )
        seconds = time.perf_counter() - start
        phases["cpu_s"] = time.thread_time() - cpu_start
        model.eval()
        with torch.no_grad():
            predictions = model(x_test.to(device)).argmax(dim=1).cpu()
        accuracy = float((predictions == y_test).float().mean())
        samples = steps * local_batch
        row = {
            "epoch": epoch,
            "loss": loss_sum / max(steps, 1),
            "accuracy": accuracy,
            "seconds": seconds,
            "samples_per_s_per_worker": samples / seconds,
            "samples_per_s": samples * world / seconds,
            "phases": phases,
        }
        history.append(row)
        if rank == 0:
            emit(WORKLOAD, "epoch", step=epoch, workers=world, method=config["method"], **row)
            print(
                f"[{world} worker(s)] epoch {epoch}: loss {row['loss']:.4f} "
                f"accuracy {accuracy:.3f} {row['samples_per_s']:,.0f} samples/s",
                flush=True,
            )
        if report:
            report({"epoch": epoch, **row})
    totals = {key: sum(row["phases"][key] for row in history) for key in PHASES}
    return {
        "history": history,
        "compute_s": totals["compute_s"] + totals["allreduce_s"],
        "optimizer_s": totals["optimizer_s"],
        "steps": steps * config["epochs"],
        "rank": rank,
        "cpus": sorted(cpu for cpu in cpus if cpu >= 0),
    }


@ray.remote(num_cpus=0)
class _Collector:
    """Every rank hands its summary here. Ray Train V2 keeps report() metrics only alongside
    checkpoints (which would need shared storage on a multi-node cluster), so an actor it is."""

    def __init__(self) -> None:
        self.summaries: dict[int, dict] = {}

    def put(self, summary: dict) -> None:
        self.summaries[int(summary["rank"])] = summary

    def get(self) -> dict[int, dict]:
        return self.summaries


def _ray_train_worker(config: dict) -> None:
    import ray.train
    import ray.train.torch

    context = ray.train.get_context()
    rank, world = context.get_world_rank(), context.get_world_size()
    summary = train_loop(
        config,
        rank,
        world,
        ray.train.torch.get_device(),
        ray.train.torch.prepare_model,
        report=None,
    )
    # Results travel through an actor, never files or log forwarding: works on any cluster.
    ray.get(config["collector"].put.remote(summary))


def run_ray_train(config: dict, workers: int, use_gpu: bool) -> dict:
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    storage = tempfile.mkdtemp(prefix="sovtui-train-")
    collector = _Collector.remote()  # type: ignore[attr-defined]
    try:
        trainer = TorchTrainer(
            _ray_train_worker,
            train_loop_config={**config, "collector": collector},
            scaling_config=ScalingConfig(num_workers=workers, use_gpu=use_gpu),
            run_config=RunConfig(storage_path=storage, name=f"sovtui-{uuid.uuid4().hex[:8]}"),
        )
        start = time.perf_counter()
        result = trainer.fit()
        wall = time.perf_counter() - start
    finally:
        shutil.rmtree(storage, ignore_errors=True)
    if result.error:
        raise RuntimeError(f"Ray Train failed: {result.error}")
    summaries = ray.get(collector.get.remote())
    ray.kill(collector)
    if 0 not in summaries:
        raise RuntimeError("Ray Train finished but rank 0 sent no summary")
    summary = summaries[0]
    summary["wall_s"] = wall
    summary["ranks"] = [summaries[rank] for rank in sorted(summaries)]
    return summary


def _epoch_stats(summary: dict) -> tuple[float, float, float, float]:
    """(seconds, samples/s, samples/s per worker, final accuracy) over the epochs after the
    first, which carries one-off costs (allocator warm-up, first collectives); all if only one."""
    history = summary["history"]
    timed = _timed(history)
    seconds = sum(row["seconds"] for row in timed)
    rate = sum(row["samples_per_s"] * row["seconds"] for row in timed) / seconds
    per_worker = sum(row["samples_per_s_per_worker"] * row["seconds"] for row in timed) / seconds
    return seconds, rate, per_worker, history[-1]["accuracy"]


def _timed(history: list[dict]) -> list[dict]:
    return history[1:] or history


def phase_times(summary: dict) -> dict[str, float]:
    """Seconds per timed epoch in each phase, averaged over the ranks, plus `other_s` (the rest
    of the epoch: loop and metrics overhead), `stolen_s` (forward/backward wall minus its CPU
    time: the core was running someone else) and `cores` (the CPU time all ranks' training
    threads got per second of the epoch: what the machine gave this run)."""
    ranks = summary.get("ranks") or [summary]
    phases = dict.fromkeys(PHASES, 0.0)
    for ranked in ranks:
        timed = _timed(ranked["history"])
        for key in PHASES:
            phases[key] += sum(row["phases"][key] for row in timed) / len(timed) / len(ranks)
    timed = _timed(summary["history"])
    epoch_s = sum(row["seconds"] for row in timed) / len(timed)
    busy = sum(phases[key] for key in PHASES if key not in CPU_TIMES)
    phases["other_s"] = max(0.0, epoch_s - busy)
    phases["stolen_s"] = max(0.0, phases["compute_s"] - phases["compute_cpu_s"])
    phases["epoch_s"] = epoch_s
    phases["cores"] = len(ranks) * phases["cpu_s"] / epoch_s if epoch_s > 0 else 0.0
    return {key: round(value, 4) for key, value in phases.items()}


def phase_text(phases: dict[str, float]) -> str:
    """`compute 1.210 s (CPU 1.180), wait 0.020, all-reduce 0.012, optimizer 0.010, data ...`"""
    return (
        f"per epoch {phases['epoch_s']:.3f} s: compute {phases['compute_s']:.3f} s "
        f"(CPU {phases['compute_cpu_s']:.3f}), wait {phases['wait_s']:.3f}, "
        f"all-reduce {phases['allreduce_s']:.3f}, optimizer {phases['optimizer_s']:.3f}, "
        f"data {phases['data_s']:.3f}, other {phases['other_s']:.3f}; "
        f"{phases['cores']:.2f} cores"
    )


def _work_depth(summary: dict, workers: int, timed_s: float) -> tuple[float, float]:
    """Brent's W and D for the timed epochs, from rank 0's busy time split in two parts.

    W: data, forward/backward, all-reduce and optimizer time of one rank, times p ranks.
    D: the all-reduce and optimizer step, which every rank does in full, so they cannot shrink
    with p.
    """
    phases = phase_times({**summary, "ranks": [summary]})
    epochs = len(_timed(summary["history"]))
    share = timed_s / (phases["epoch_s"] * epochs) if phases["epoch_s"] > 0 else 1.0
    serial = (phases["allreduce_s"] + phases["optimizer_s"]) * epochs * share
    busy = (phases["data_s"] + phases["compute_s"]) * epochs * share + serial
    return busy * workers, serial


def best_runs(counts: list[int], repeat: int, fit: Callable[[int], dict]) -> dict[int, dict]:
    """`repeat` rounds of `fit(count)` for every count, the counts taking turns (1, 2, 1, 2):
    on a shared machine a burst of load then hits every count alike instead of one whole side.
    Each count keeps its fastest run (samples/s over the timed epochs)."""
    best: dict[int, dict] = {}
    for _ in range(max(1, repeat)):
        for count in counts:
            summary = fit(count)
            if count not in best or _epoch_stats(summary)[1] > _epoch_stats(best[count])[1]:
                best[count] = summary
    return best


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="train_bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Ray Train workers (default: the largest --scaling count, else 2 capped at CPUs)",
    )
    parser.add_argument("--scaling", type=str, default=None, help="worker counts, e.g. 1,2")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=2048, help="global batch size")
    parser.add_argument("--repeat-data", type=int, default=20, help="noisy copies of digits")
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument(
        "--sync-every",
        type=int,
        default=4,
        help="batches per gradient all-reduce and optimizer step",
    )
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Ray Train runs per worker count, counts taking turns; the fastest is kept",
    )
    parser.add_argument("--gpu", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--baselines", action="store_true", help="also time single-process torch")
    add_ray_options(parser)
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.repeat_data < 1:
        parser.error("--epochs, --batch-size and --repeat-data must be >= 1")
    try:
        args.scaling = sorted({int(p) for p in args.scaling.split(",")}) if args.scaling else None
    except ValueError:
        parser.error("--scaling takes comma-separated integers")
    return args


def run(args: argparse.Namespace) -> int:
    # Ray Train 2.60 runs the V2 API; set it explicitly so the behaviour does not drift.
    os.environ.setdefault("RAY_TRAIN_V2_ENABLED", "1")
    try:
        import sklearn  # noqa: F401
        import torch
    except ImportError as error:
        print(
            f"train_bench: FAILED: needs the 'train' extra (torch==2.13.0, scikit-learn): {error}",
            file=sys.stderr,
        )
        return 2
    init_ray(args)
    cpus, gpus = cluster_cpus(), cluster_gpus()
    use_gpu = gpus > 0 if args.gpu == "auto" else args.gpu == "yes"
    # One worker per CPU at most: Ray Train workers each hold one CPU (one GPU with use_gpu).
    limit = gpus if use_gpu else cpus
    counts = sorted({min(p, limit) for p in args.scaling}) if args.scaling else []
    workers = min(args.workers or (max(counts) if counts else 2), limit)
    config = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "hidden": args.hidden,
        "repeat_data": args.repeat_data,
        "lr": args.lr,
        "seed": args.seed,
        "sync_every": max(1, args.sync_every),
        "method": "sovtui",
    }
    print(
        f"train_bench: MLP {args.hidden}x2 on digits x{args.repeat_data}, global batch "
        f"{args.batch_size}, {args.epochs} epoch(s), {workers} worker(s), "
        f"{'GPU' if use_gpu else 'CPU/gloo'}, torch {torch.__version__}, Ray {ray.__version__}"
    )
    emit(
        WORKLOAD,
        "start",
        worker_niceness=worker_niceness(),
        load_average=load_average(),
        ray_version=ray.__version__,
        nodes=alive_nodes(),
        cpus=cpus,
        gpus=gpus,
        workers=workers,
        use_gpu=use_gpu,
        torch_version=torch.__version__,
        **config,
    )

    def fit(count: int) -> dict:
        summary = run_ray_train(config, count, use_gpu)
        _, rate, per_worker, accuracy = _epoch_stats(summary)
        cpus_used = [ranked.get("cpus", []) for ranked in summary.get("ranks", [summary])]
        print(
            f"ray train {count} worker(s): {rate:,.0f} samples/s ({per_worker:,.0f} per "
            f"worker), accuracy {accuracy:.3f}, fit wall {summary['wall_s']:.1f} s, "
            f"load {load_average()}, CPUs per rank {cpus_used}"
        )
        print(f"  {phase_text(phase_times(summary))}")
        return summary

    measured = best_runs(sorted(set(counts) | {workers}), args.repeat, fit)
    for count in sorted(set(counts) & set(measured)):
        summary = measured[count]
        seconds, rate, per_worker, accuracy = _epoch_stats(summary)
        work, depth = _work_depth(summary, count, seconds)
        emit(
            WORKLOAD,
            "scaling",
            workers=count,
            seconds=seconds,
            samples_per_s=rate,
            samples_per_s_per_worker=per_worker,
            work_s=work,
            depth_s=depth,
            accuracy=accuracy,
            phases=phase_times(summary),
        )
    seconds, rate, per_worker, accuracy = _epoch_stats(measured[workers])
    emit(
        WORKLOAD,
        "result",
        method="sovtui",
        workers=workers,
        seconds=seconds,
        samples_per_s=rate,
        samples_per_s_per_worker=per_worker,
        accuracy=accuracy,
        loss=measured[workers]["history"][-1]["loss"],
        phases=phase_times(measured[workers]),
    )
    if args.baselines:
        summary = train_loop({**config, "method": "torch_single"}, device=torch.device("cpu"))
        seconds, rate, _, accuracy = _epoch_stats(summary)
        print(f"torch single process: {rate:,.0f} samples/s, accuracy {accuracy:.3f}")
        print(f"  {phase_text(phase_times(summary))}")
        emit(
            WORKLOAD,
            "result",
            method="torch_single",
            workers=1,
            seconds=seconds,
            samples_per_s=rate,
            accuracy=accuracy,
            loss=summary["history"][-1]["loss"],
            phases=phase_times(summary),
        )
    if len(measured) > 1:
        low, high = min(measured), max(measured)
        ratio = _epoch_stats(measured[high])[1] / _epoch_stats(measured[low])[1]
        kept = f", best of {args.repeat} each" if args.repeat > 1 else ""
        cores = {count: phase_times(measured[count])["cores"] for count in (low, high)}
        # The machine is shared: the CPU the ranks got says how much of the ratio it allowed.
        cpu_ratio = cores[high] / cores[low] if cores[low] > 0 else 0.0
        print(
            f"{high} vs {low} worker(s): {ratio:.2f}x samples/s{kept}, with {cpu_ratio:.2f}x "
            f"the CPU ({cores[high]:.2f} vs {cores[low]:.2f} cores)"
        )
        for count in (low, high):
            print(f"  {count} worker(s) {phase_text(phase_times(measured[count]))}")
    emit(WORKLOAD, "done", ok=True, load_average_end=load_average())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return main_wrapper("train_bench", lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
