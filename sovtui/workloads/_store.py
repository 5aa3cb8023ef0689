"""Object-store occupancy as seen by the benchmark: peak sampling and waiting for frees."""

from __future__ import annotations

import threading
import time

import ray

_stub = None  # one gRPC channel to a raylet per process: a new one per read costs ~7 ms


def _raylet_stub():
    """What ray._private.internal_api.get_memory_info_reply builds on every call, built once.
    Any raylet answers for the whole cluster (it asks the others)."""
    from ray._common.network_utils import build_address
    from ray._private.grpc_utils import init_grpc_channel
    from ray._private.internal_api import get_state_from_address
    from ray.core.generated import node_manager_pb2_grpc

    state = get_state_from_address(ray.get_runtime_context().gcs_address)
    node = next(n for n in state.node_table() if n["Alive"])
    channel = init_grpc_channel(
        build_address(node["NodeManagerAddress"], node["NodeManagerPort"]),
        options=[("grpc.max_receive_message_length", 64 * 2**20)],
    )
    return node_manager_pb2_grpc.NodeManagerServiceStub(channel)


class StorePeak:
    """Samples the cluster's object-store bytes in a thread; `peak` is the highest seen."""

    def __init__(self, period_s: float = 0.05) -> None:
        self.period_s = period_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def read() -> int:
        """Bytes in the cluster's object stores now (0 if Ray cannot say)."""
        global _stub
        try:
            from ray.core.generated import node_manager_pb2

            if _stub is None:
                _stub = _raylet_stub()
            reply = _stub.FormatGlobalMemoryInfo(
                node_manager_pb2.FormatGlobalMemoryInfoRequest(  # type: ignore[attr-defined]
                    include_memory_info=False
                ),
                timeout=10.0,
            )
            return int(reply.store_stats.object_store_bytes_used)
        except Exception:  # a private API: if it moves, report 0 rather than fail the benchmark
            _stub = None
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.period_s)

    def sample(self) -> None:
        self.peak = max(self.peak, self.read())

    def __enter__(self) -> StorePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def wait_store_below(limit: int, timeout_s: float = 5.0, period_s: float = 0.05) -> None:
    """Frees are asynchronous; wait so the next run's peak is not inflated by the last output."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and StorePeak.read() > limit:
        time.sleep(period_s)
