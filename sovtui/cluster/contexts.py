"""Every cluster sovtui knows, by name: a context.

Contexts come from providers, asked in this order (the first of two equal names wins):

- `config`: the `contexts:` section of the settings (name -> address, via, token source);
- `compose`: Compose clusters `sovtui up` brought up (cluster.compose.store), `compose:PROJECT`;
- `embedded`: embedded heads an earlier sovtui kept (`--keep`), `embedded:PID`;
- any provider added with `register_provider` (the Slurm clusters: `slurm:NAME`).

A provider is `Callable[[Settings], Iterable[Context]]`: it reads its own records, quickly and
without network (the health probe is separate), and may raise: its failure is reported as a
problem of the listing, the others still count. Providers run in parallel with a deadline, so a
slow one (squeue without slurmctld takes ~9 s) cannot hold the listing up.

`probe_contexts` asks every context's dashboard for one snapshot, all in parallel with short
timeouts (through its tunnel when it has `via`), and sums each up in one line.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovtui.cluster.errors import BadTarget
from sovtui.ray_api.auth import TokenLookup, find_token
from sovtui.ray_api.client import normalise_address
from sovtui.settings.model import Settings

KIND_CONFIG = "config"
KIND_COMPOSE = "compose"
KIND_EMBEDDED = "embedded"
KIND_SLURM = "slurm"


class UnknownContext(BadTarget):
    """`--context NAME` names no context sovtui knows."""


@dataclass(frozen=True)
class Context:
    name: str
    kind: str  # config | compose | embedded | slurm | what a provider says
    address: str  # the dashboard's URL, as seen from `via` when set, else from here
    via: str | None = None  # [user@]host[:port]: reach `address` through an ssh tunnel
    local_port: int | None = None  # the tunnel's local port; None: any free one
    token_path: str | None = None  # where the Ray token is; neither: Ray's usual search
    token_env: str | None = None  # or the variable that holds it
    record: str = ""  # what the provider's record says: "saved", "kept, pid 123", a job state
    project: str | None = None  # a Compose project

    def token(self, environ: Mapping[str, str] | None = None) -> TokenLookup:
        """The token as this context says where to find it (never printed)."""
        environ = os.environ if environ is None else environ
        if self.token_env:
            label = f"${self.token_env} (context {self.name})"
            value = environ.get(self.token_env, "").strip()
            return TokenLookup(value or None, label if value else None, (label,))
        if self.token_path:
            path = Path(self.token_path).expanduser()
            label = f"{path} (context {self.name})"
            try:
                text = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                text = ""
            return TokenLookup(text or None, label if text else None, (label,))
        return find_token(environ)

    def token_source(self) -> str:
        if self.token_env:
            return f"${self.token_env}"
        if self.token_path:
            return self.token_path
        return "$RAY_AUTH_TOKEN, $RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "address": self.address,
            "via": self.via,
            "local_port": self.local_port,
            "token_source": self.token_source(),
            "record": self.record,
        }


ContextProvider = Callable[[Settings], Iterable[Context]]


def config_contexts(settings: Settings) -> list[Context]:
    return [
        Context(
            name,
            KIND_CONFIG,
            normalise_address(saved.address),
            via=saved.via,
            local_port=saved.local_port,
            token_path=saved.token_path,
            token_env=saved.token_env,
            record="saved in the config",
        )
        for name, saved in settings.contexts.items()
    ]


def compose_contexts(_settings: Settings) -> list[Context]:
    from sovtui.cluster.compose import store

    return [
        Context(
            f"compose:{record.project}",
            KIND_COMPOSE,
            record.dashboard_url,
            token_path=str(store.token_path(record.project)),
            record=f"{record.workers} worker(s) from {Path(record.compose_file).name}",
            project=record.project,
        )
        for record in store.list_records()
    ]


def embedded_contexts(_settings: Settings) -> list[Context]:
    from sovtui.cluster.head_records import live_records

    return [
        Context(
            f"embedded:{record.pid}",
            KIND_EMBEDDED,
            record.dashboard_url,
            token_path=record.token_path,
            record=f"kept, guard pid {record.pid}",
        )
        for record in live_records()
        if record.kept  # another running sovtui's head goes when it quits: not a context
    ]


def slurm_contexts(_settings: Settings) -> list[Context]:
    """Slurm clusters sovtui brought up or adopted whose head has published its dashboard.

    The states are the last ones sovtui saw (no squeue here: it takes ~9 s to fail when
    slurmctld is away); `sovtui slurm ls` asks Slurm for the live ones."""
    from sovtui.cluster.slurm.records import list_clusters

    return [
        Context(
            f"slurm:{cluster.name}",
            KIND_SLURM,
            cluster.dashboard_url,
            token_path=cluster.token_path,
            record=f"job {cluster.job_id}, {cluster.state.lower()}",
            project=cluster.name,
        )
        for cluster in list_clusters()
        if cluster.dashboard_url and cluster.active
    ]


PROVIDERS: list[tuple[str, ContextProvider]] = [
    (KIND_CONFIG, config_contexts),
    (KIND_COMPOSE, compose_contexts),
    (KIND_EMBEDDED, embedded_contexts),
    (KIND_SLURM, slurm_contexts),
]


def register_provider(name: str, provider: ContextProvider) -> None:
    """Add a source of contexts (e.g. `("slurm", slurm_contexts)`); a name registers once."""
    if all(existing != name for existing, _ in PROVIDERS):
        PROVIDERS.append((name, provider))


@dataclass
class ContextList:
    contexts: list[Context] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per provider that failed

    def names(self) -> list[str]:
        return [context.name for context in self.contexts]


def _run_all(
    jobs: list[tuple[str, Callable[[], Any]]], timeout: float
) -> dict[str, tuple[Any, BaseException | None]]:
    """Run each job on its own daemon thread; what finished within `timeout` (in all)."""
    results: dict[str, tuple[Any, BaseException | None]] = {}
    lock = threading.Lock()

    def runner(key: str, job: Callable[[], Any]) -> None:
        try:
            outcome: tuple[Any, BaseException | None] = (job(), None)
        except Exception as error:
            outcome = (None, error)
        with lock:
            results[key] = outcome

    threads = [
        threading.Thread(target=runner, args=job, name=f"context-{job[0]}", daemon=True)
        for job in jobs
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with lock:
        return dict(results)


def list_contexts(
    settings: Settings,
    providers: list[tuple[str, ContextProvider]] | None = None,
    timeout: float = 5.0,
) -> ContextList:
    """Every context, providers in order; a provider that fails or is slow is a problem line."""
    chosen = PROVIDERS if providers is None else providers
    jobs = [(name, _bound(provider, settings)) for name, provider in chosen]
    results = _run_all(jobs, timeout)
    found = ContextList()
    seen: set[str] = set()
    for name, _provider in chosen:
        if name not in results:
            found.problems.append(f"{name}: no answer within {timeout:g} s")
            continue
        contexts, error = results[name]
        if error is not None:
            found.problems.append(f"{name}: {type(error).__name__}: {error}")
            continue
        for context in contexts:
            if context.name in seen:
                found.problems.append(f"{name}: {context.name} is already a context; skipped")
                continue
            seen.add(context.name)
            found.contexts.append(context)
    return found


def _bound(provider: ContextProvider, settings: Settings) -> Callable[[], list[Context]]:
    return lambda: list(provider(settings))


def find_context(
    settings: Settings, name: str, providers: list[tuple[str, ContextProvider]] | None = None
) -> Context:
    """The context called `name`; UnknownContext (one line, naming the known ones) if none."""
    if name in settings.contexts and providers is None:
        return config_contexts(settings)[list(settings.contexts).index(name)]
    listing = list_contexts(settings, providers)
    for context in listing.contexts:
        if context.name == name:
            return context
    known = ", ".join(listing.names()) or "none"
    problems = f"; {'; '.join(listing.problems)}" if listing.problems else ""
    raise UnknownContext(
        f"--context {name!r}: no such context (known: {known}; `sovtui contexts` lists them, "
        f"`contexts:` in the config saves one){problems}"
    )


# -- health ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    state: str  # up | disconnected | unauthorized | tunnel down | timed out | ...
    summary: str  # one line


def _summarise(snapshot: Any) -> str:
    version = snapshot.version.ray_version if snapshot.version else "?"
    running = sum(1 for job in snapshot.jobs if job.status == "RUNNING")
    nodes = f"{len(snapshot.alive_nodes)}/{len(snapshot.nodes)} nodes alive"
    cpu = snapshot.totals.get("CPU")
    cpus = f" · CPU {cpu.total:g}" if cpu is not None and cpu.total is not None else ""
    return f"Ray {version} · {nodes}{cpus} · {running} job(s) running"


def probe_context(
    context: Context,
    settings: Settings,
    timeout: float = 3.0,
    environ: Mapping[str, str] | None = None,
) -> Health:
    """One snapshot of the context's dashboard (through a tunnel opened for the look)."""
    from sovtui.cluster.connect import new_client
    from sovtui.cluster.ssh.tunnel import TunnelError, tunnel_to
    from sovtui.ray_api.errors import DashboardError

    tunnel = None
    address = context.address
    if context.via:
        try:
            tunnel, address = tunnel_to(
                context.address, context.via, settings.ssh, context.local_port, timeout=timeout
            )
        except (TunnelError, BadTarget) as error:
            return Health("tunnel down", str(error))
    probe_settings = _with_timeout(settings, timeout)
    client = new_client(probe_settings, address, context.token(environ))

    async def look() -> Any:
        try:
            return await client.snapshot()
        finally:
            await client.aclose()

    try:
        return Health("up", _summarise(asyncio.run(look())))
    except DashboardError as error:
        return Health(error.state, str(error))
    finally:
        if tunnel is not None:
            tunnel.close()


def _with_timeout(settings: Settings, timeout: float) -> Settings:
    from dataclasses import replace

    return replace(settings, request_timeout=min(settings.request_timeout, timeout))


def probe_contexts(
    contexts: list[Context],
    settings: Settings,
    timeout: float = 3.0,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Health]:
    """Every context's Health, probed in parallel; within about `timeout` (+ a tunnel's start)."""
    jobs = [(context.name, _prober(context, settings, timeout, environ)) for context in contexts]
    # A tunnel gets `timeout` to open (+2 s for ssh's own deadline), then the snapshot as much.
    limit = (2 * timeout + 3.0) if any(c.via for c in contexts) else timeout + 1.0
    results = _run_all(jobs, limit)
    health: dict[str, Health] = {}
    for context in contexts:
        outcome = results.get(context.name)
        if outcome is None:
            health[context.name] = Health("timed out", f"no answer within {limit:g} s")
        elif outcome[1] is not None:
            error = outcome[1]
            health[context.name] = Health("error", f"{type(error).__name__}: {error}")
        else:
            health[context.name] = outcome[0]
    return health


def _prober(
    context: Context, settings: Settings, timeout: float, environ: Mapping[str, str] | None
) -> Callable[[], Health]:
    return lambda: probe_context(context, settings, timeout, environ)
