"""Compose-on-Docker without Compose: up, scale, down, ps for one project, via the Docker SDK.

Guarantees: everything is validated before the first container; `up` on a running cluster is a
no-op; anything one `up`/`scale` call created is removed again if it fails or is interrupted
(found by its sovtui.run label, so even a container whose create call was cut short goes);
the host reaches the cluster only through ports published on 127.0.0.1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from threading import Event
from typing import Any, TypeVar

import docker
import docker.errors
from docker.models.containers import Container

from sovtui.cluster import readiness
from sovtui.cluster.compose import container_spec as cs
from sovtui.cluster.compose import store, subnets
from sovtui.cluster.compose.compose_model import ComposeFile, load_compose
from sovtui.cluster.compose.docker_client import connect
from sovtui.cluster.compose.events import DEFAULT_PROJECT, Progress, ProgressEvent
from sovtui.cluster.compose.interpolate import referenced_variables
from sovtui.cluster.compose.port_checks import check_ports_free, port_conflict_message
from sovtui.cluster.compose.stats import ContainerInfo, collect_stats
from sovtui.cluster.errors import ClusterError, ComposeError, PortInUse

T = TypeVar("T")
R = TypeVar("R")


def _ignore(_: ProgressEvent) -> None:
    return None


def roles(spec: ComposeFile, file: str) -> tuple[str, str]:
    """(head service, worker service): by label sovtui.role, else named ray-head / ray-worker."""
    found: dict[str, str] = {}
    for name, service in spec.services.items():
        role = service.labels.get("sovtui.role") or {
            "ray-head": "head",
            "ray-worker": "worker",
        }.get(name, "")
        if role in ("head", "worker"):
            if role in found:
                raise ComposeError(file, f"services.{name}", f"a second '{role}' service")
            found[role] = name
    for role in ("head", "worker"):
        if role not in found:
            raise ComposeError(
                file, "services", f"no {role} service (ray-{role} or label sovtui.role: {role})"
            )
    return found["head"], found["worker"]


def _dashboard_url(spec: ComposeFile, head: str, file: str) -> str:
    for port in spec.services[head].ports:
        if port.container_port == cs.DASHBOARD_PORT and port.host_port:
            return f"http://127.0.0.1:{port.host_port}"
    raise ComposeError(
        file,
        f"services.{head}.ports",
        f"the head must publish {cs.DASHBOARD_PORT} on a fixed 127.0.0.1 port",
    )


def _check_loopback(spec: ComposeFile, file: str) -> None:
    """Anyone who reaches the Jobs API can run code (CVE-2023-48022): loopback only."""
    for name, service in spec.services.items():
        for index, port in enumerate(service.ports):
            if port.host_ip != "127.0.0.1":
                raise ComposeError(
                    file,
                    f"services.{name}.ports.{index}",
                    f"publishes on {port.host_ip}; sovtui publishes on 127.0.0.1 "
                    "only (write '127.0.0.1:HOST:CONTAINER')",
                )


class ComposeDriver:
    """One Compose project on one Docker engine."""

    def __init__(
        self,
        project: str = DEFAULT_PROJECT,
        *,
        client_factory: Callable[[], docker.DockerClient] = connect,
        progress: Progress = _ignore,
        health_timeout: float = 180.0,
        nodes_timeout: float = 180.0,
        max_parallel: int = 8,
    ) -> None:
        problem = store.project_name_problem(project)
        if problem:
            raise ValueError(problem)
        self.project = project
        self._client_factory = client_factory
        self._client: docker.DockerClient | None = None
        # Public so a caller (the TUI) can route one operation's events where it wants them.
        self.progress = progress
        self.health_timeout = health_timeout
        self.nodes_timeout = nodes_timeout
        self.max_parallel = max_parallel

    # ---- plumbing -------------------------------------------------------------------------
    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _emit(self, stage: str, message: str, done: int = 0, total: int = 0) -> None:
        self.progress(ProgressEvent(stage, message, done, total))

    def _filters(self, extra: Iterable[str] = ()) -> dict[str, Any]:
        return {"label": [f"{cs.PROJECT}={self.project}", f"{cs.MANAGED}=1", *extra]}

    def containers(self, service: str | None = None) -> list[Container]:
        extra = [f"{cs.SERVICE}={service}"] if service else []
        found = self.client.containers.list(all=True, filters=self._filters(extra))
        return sorted(found, key=lambda c: (c.labels.get(cs.SERVICE, ""), _number(c)))

    def _load(
        self, file: Path, token: str, recorded: dict[str, str] | None = None
    ) -> tuple[ComposeFile, str, str, str]:
        environ = {**os.environ, **(recorded or {}), "RAY_AUTH_TOKEN": token}
        spec = load_compose(file, environ)
        head, worker = roles(spec, str(file))
        _check_loopback(spec, str(file))
        return spec, head, worker, _dashboard_url(spec, head, str(file))

    def _running_head(self, head: str) -> Container | None:
        heads = [c for c in self.containers(head) if c.status == "running"]
        return heads[0] if heads else None

    # ---- up -------------------------------------------------------------------------------
    def up(self, file: Path | str, workers: int = 1, *, wait: bool = True) -> store.ClusterRecord:
        """Start head + `workers` workers; returns once the GCS answers (and nodes are ALIVE)."""
        if workers < 0:
            raise ValueError("workers must be >= 0")
        path = Path(file).resolve()
        token, new_token = store.ensure_token(self.project)
        run_id = uuid.uuid4().hex
        try:
            # Validate first: a bad file is bad input even with no engine, and needs no rollback.
            spec, head, worker, url = self._load(path, token)
        except BaseException:
            if new_token:
                store.forget(self.project)
            raise
        try:
            existing = store.load_record(self.project)
            if existing is not None and self._running_head(head) is not None:
                if Path(existing.compose_file) != path:
                    raise ClusterError(
                        f"project '{self.project}' already runs {existing.compose_file}; "
                        f"`sovtui down --project {self.project}` first, or pick another --project"
                    )
                self._emit("done", f"{self.project}: already running at {existing.dashboard_url}")
                self.scale(workers, wait=wait)
                return store.load_record(self.project) or existing
            record = store.ClusterRecord(
                self.project, str(path), url, workers, _recorded_environment(path)
            )
            self._remove(self.containers())  # leftovers of an earlier, dead cluster
            self._check_image(spec)
            check_ports_free(spec.services[head].ports)
            self._ensure_networks(spec, run_id, path)
            head_container = self._start(spec, head, 1, run_id, path)
            # Workers are created (cheap, no CPU for Ray) while the head boots, and started
            # only once the GCS answers: a head that fails costs no worker start.
            with ThreadPoolExecutor(max_workers=1) as background:
                creating = background.submit(
                    self._parallel,
                    lambda n: self._create(spec, worker, n, run_id, path),
                    list(range(1, workers + 1)),
                    "create",
                )
                self._emit("gcs", f"waiting for the GCS at {url}/api/gcs_healthz")
                took = readiness.wait_for_gcs(
                    url, self.health_timeout, lambda: _dead_reason(head_container)
                )
                created = creating.result()
            self._emit("gcs", f"GCS ready after {took:.1f}s")
            self._parallel(lambda c: self._start_created(*c), created, "worker")
            store.save_record(record)
            if wait:
                self._wait_nodes(url, token, workers + 1)
            self._emit("done", f"{self.project}: {workers} worker(s) up, dashboard {url}")
            return record
        except BaseException:
            # KeyboardInterrupt included: nothing this call created may survive it.
            self._rollback(run_id)
            if new_token:
                store.forget(self.project)
            raise

    def _check_image(self, spec: ComposeFile) -> None:
        for image in {service.image for service in spec.services.values()}:
            try:
                self.client.images.get(image)
            except docker.errors.ImageNotFound:
                raise ClusterError(
                    f"image {image} not found on the engine; build it with "
                    "`sovtui image build` (or set SOVTUI_RAY_IMAGE)"
                ) from None

    def _ensure_networks(self, spec: ComposeFile, run_id: str, path: Path) -> None:
        wanted = {name for service in spec.services.values() for name in cs.network_names(service)}
        for name in sorted(wanted):
            kwargs = cs.network_kwargs(self.project, name, spec.networks.get(name), run_id)
            if self.client.networks.list(names=[kwargs["name"]]):
                continue  # ours from an earlier up, or the user's: reuse like Compose does
            self._emit("network", f"creating network {kwargs['name']}")
            try:
                self.client.networks.create(**kwargs)
            except docker.errors.APIError as exc:
                reason = str(exc.explanation or exc)
                if subnets.is_overlap_error(reason):  # Docker does not say what to change
                    reason += "; " + subnets.overlap_hint(path, spec, name, self._subnets())
                raise ClusterError(f"cannot create network {kwargs['name']}: {reason}") from None

    def _subnets(self) -> dict[str, list[str]]:
        """Every network on the engine -> its subnets (for saying which one is in the way)."""
        try:
            networks = self.client.networks.list()
        except docker.errors.APIError:
            return {}
        return {
            network.name: [
                config["Subnet"]
                for config in (network.attrs.get("IPAM") or {}).get("Config") or []
                if config.get("Subnet")
            ]
            for network in networks
        }

    def _create(
        self, spec: ComposeFile, service: str, number: int, run_id: str, path: Path
    ) -> tuple[str, str]:
        """Create (not start) one container; returns (id, name)."""
        kwargs = cs.create_kwargs(self.client, spec, self.project, service, number, run_id, path)
        try:
            created = self.client.api.create_container(**kwargs)
        except docker.errors.APIError as exc:
            raise ClusterError(
                f"cannot create {kwargs['name']}: {exc.explanation or exc}"
            ) from None
        return str(created["Id"]), str(kwargs["name"])

    def _start_created(self, container_id: str, name: str) -> None:
        self._emit("head" if "head" in name else "worker", f"starting {name}")
        try:
            self.client.api.start(container_id)
        except docker.errors.APIError as exc:
            explanation = str(exc.explanation or exc)
            conflict = port_conflict_message(explanation)
            if conflict:
                raise PortInUse(conflict) from None
            raise ClusterError(f"cannot start {name}: {explanation}") from None

    def _start(
        self, spec: ComposeFile, service: str, number: int, run_id: str, path: Path
    ) -> Container:
        container_id, name = self._create(spec, service, number, run_id, path)
        self._start_created(container_id, name)
        return self.client.containers.get(container_id)

    def _parallel(self, action: Callable[[T], R], items: list[T], stage: str) -> list[R]:
        """Run `action` over items in threads; the first failure cancels the rest.

        In-flight calls are waited for before returning or raising, so a rollback that follows
        sees every container they made (KeyboardInterrupt included).
        """
        if not items:
            return []
        cancel = Event()

        def guarded(item: T) -> R | None:
            return None if cancel.is_set() else action(item)

        pool = ThreadPoolExecutor(max_workers=min(self.max_parallel, len(items)))
        try:
            futures = [pool.submit(guarded, item) for item in items]
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                self._emit(stage, f"{stage} {done}/{len(items)} done", done, len(items))
            return [f.result() for f in futures]  # type: ignore[misc]
        finally:
            cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)

    def _start_workers(
        self, spec: ComposeFile, service: str, numbers: Iterable[int], run_id: str, path: Path
    ) -> None:
        """Create, then start, workers in parallel."""
        created = self._parallel(
            lambda n: self._create(spec, service, n, run_id, path), list(numbers), "create"
        )
        self._parallel(lambda c: self._start_created(*c), created, "worker")

    def _wait_nodes(self, url: str, token: str, alive: int) -> None:
        self._emit("nodes", f"waiting for {alive} ALIVE Ray node(s)", 0, alive)
        running = [c for c in self.containers() if c.status == "running"]
        # Ray reports a node's hostname; a container's default hostname is its short id.
        hostnames = frozenset(str(c.attrs["Config"]["Hostname"]) for c in running)
        readiness.wait_for_nodes(
            url,
            token,
            alive,
            self.nodes_timeout,
            lambda count: self._emit(
                "nodes", f"{count.alive}/{alive} nodes ALIVE", count.alive, alive
            ),
            hostnames if len(hostnames) == alive else None,
        )

    def _rollback(self, run_id: str) -> None:
        label = [f"{cs.RUN}={run_id}"]
        created = self.client.containers.list(all=True, filters=self._filters(label))
        self._remove(created)
        for network in self.client.networks.list(filters=self._filters(label)):
            _quietly(network.remove)

    # ---- scale / down / ps ----------------------------------------------------------------
    def scale(self, workers: int, *, wait: bool = True) -> int:
        """Run exactly `workers` live workers: replace dead ones, add or remove the rest."""
        if workers < 0:
            raise ValueError("workers must be >= 0")
        record = store.load_record(self.project)
        token = store.read_token(self.project)
        if record is None or token is None:
            raise ClusterError(
                f"no cluster '{self.project}' recorded here; run `sovtui up FILE "
                f"--project {self.project}` first"
            )
        path = Path(record.compose_file)
        spec, head, worker, _ = self._load(path, token, record.environment)
        url = record.dashboard_url
        if self._running_head(head) is None:
            raise ClusterError(f"the head of '{self.project}' is not running; run `sovtui up`")
        current = self.containers(worker)
        self._remove([c for c in current if c.status != "running"])  # their nodes are DEAD
        running = [c for c in current if c.status == "running"]
        run_id = uuid.uuid4().hex
        if len(running) > workers:
            extra = sorted(running, key=_number)[workers:]
            self._emit("scale", f"stopping {len(extra)} worker(s)")
            self._remove(extra, graceful=True)
        elif len(running) < workers:
            used = {_number(c) for c in running}
            free = (n for n in range(1, 10_000) if n not in used)
            numbers = [next(free) for _ in range(workers - len(running))]
            try:
                self._start_workers(spec, worker, numbers, run_id, path)
            except BaseException:
                self._rollback(run_id)
                raise
        store.save_record(
            store.ClusterRecord(self.project, str(path), url, workers, record.environment)
        )
        if wait and len(running) != workers:
            self._wait_nodes(url, token, workers + 1)
        self._emit("done", f"{self.project}: {workers} worker(s)")
        return workers

    def down(self) -> tuple[int, int]:
        """Remove this project's containers and networks (by label); returns their counts."""
        found = self.containers()
        self._emit("down", f"removing {len(found)} container(s)")
        self._remove(found)
        networks = self.client.networks.list(filters=self._filters())
        for network in networks:
            network.remove()
        store.forget(self.project)
        self._emit(
            "done", f"{self.project}: removed {len(found)} container(s), {len(networks)} network(s)"
        )
        return len(found), len(networks)

    def ps(self, stats: bool = True) -> list[ContainerInfo]:
        return collect_stats(self.containers(), with_usage=stats, max_parallel=self.max_parallel)

    def record(self) -> store.ClusterRecord | None:
        """What the last `up`/`scale` recorded for this project (file, address, workers)."""
        return store.load_record(self.project)

    def logs(self, name: str, tail: int = 200) -> str:
        """The last `tail` log lines of one of this project's containers."""
        found = [c for c in self.containers() if c.name == name]
        if not found:
            raise ClusterError(f"no container {name} in project '{self.project}'")
        raw = found[0].logs(tail=tail, stdout=True, stderr=True)
        return bytes(raw).decode(errors="replace")

    def _remove(self, containers: list[Container], graceful: bool = False) -> None:
        """Remove in parallel. graceful: SIGTERM first, so `ray start --block` stops its node."""
        if not containers:
            return

        def one(container: Container) -> None:
            if graceful:
                _quietly(lambda: container.stop(timeout=10))
            _quietly(lambda: container.remove(force=True, v=True))

        with ThreadPoolExecutor(max_workers=min(self.max_parallel, len(containers))) as pool:
            list(pool.map(one, containers))


def _recorded_environment(path: Path) -> dict[str, str]:
    names = referenced_variables(path.read_text(encoding="utf-8")) - {"RAY_AUTH_TOKEN"}
    return {name: os.environ[name] for name in sorted(names) if name in os.environ}


def _number(container: Container) -> int:
    try:
        return int(container.labels.get(cs.NUMBER, "0"))
    except ValueError:
        return 0


def _dead_reason(container: Container) -> str | None:
    try:
        container.reload()
    except docker.errors.NotFound:
        return f"the head container {container.name} disappeared"
    if container.status in ("exited", "dead"):
        logs = container.logs(tail=15).decode(errors="replace").strip()
        return f"the head container {container.name} exited:\n{logs}"
    return None


def _quietly(action: Callable[[], object]) -> None:
    """Removal of something already gone is fine; other errors must not stop a cleanup."""
    try:
        action()
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if "already in progress" not in str(exc):
            raise
