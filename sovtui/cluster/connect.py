"""The one factory that decides which cluster sovtui watches and builds its dashboard client.

Order: --context NAME (a named context, see cluster.contexts: saved in the config, a Compose
project, a kept embedded head, a Slurm cluster) > --address > $RAY_API_SERVER_ADDRESS >
$RAY_ADDRESS > config `address` > a Compose cluster sovtui brought up (recorded here, dashboard
answering; watched with its own token) > an embedded head an earlier sovtui kept (`--keep`;
recorded, guard alive, dashboard taking its token) > a dashboard already answering at
`default_address` > an embedded local head started here (unless the `embed` setting or
--no-embed forbids it). A $RAY_ADDRESS that names a Ray cluster (`host:6379`, `auto`, `ray://`)
is turned into its dashboard as Ray's job CLI does (see cluster.ray_address), and while it is set
no head is ever started: unreachable is an error naming it.

With `--via [user@]host[:port]` (or a context's `via`) the address chosen so (default_address when
none was named) is the dashboard as that host sees it, reached through an ssh tunnel sovtui opens
and keeps (cluster.ssh.tunnel); nothing is probed or started locally then. `--via` given with
`--context` replaces the context's own. Used by the CLI, the TUI and the tests alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sovtui.cluster.compose import store
from sovtui.cluster.contexts import KIND_COMPOSE, KIND_EMBEDDED, Context, find_context
from sovtui.cluster.embedded_head import EmbeddedHead, start_embedded_head
from sovtui.cluster.errors import BadTarget
from sovtui.cluster.kept_heads import reachable_kept_head
from sovtui.cluster.ray_address import RayAddressError, derive_dashboard
from sovtui.ray_api.auth import TokenLookup, explicit_token, find_token
from sovtui.ray_api.client import MIB, DashboardClient, normalise_address
from sovtui.ray_api.errors import DashboardUnreachable
from sovtui.ray_api.jobs import JOBS_STOP_WAIT_S, stop_running_jobs
from sovtui.settings.model import Settings

if TYPE_CHECKING:
    from sovtui.cluster.ssh.tunnel import SshTunnel

Progress = Callable[[str], None]

MODE_EMBEDDED = "embedded"
MODE_ATTACHED = "attached"
MODE_COMPOSE = "compose"
MODE_SLURM = "slurm"


class NoCluster(DashboardUnreachable):
    """The named cluster cannot be reached, or nothing answers and embedding is forbidden."""


@dataclass(frozen=True)
class ResolvedAddress:
    address: str | None
    source: str
    ray_address: str | None = None  # a $RAY_ADDRESS naming a Ray cluster, still to resolve


def resolve_address(
    cli_address: str | None, settings: Settings, environ: Mapping[str, str] | None = None
) -> ResolvedAddress:
    """Where the user asked sovtui to look; None means: probe the default, then embed."""
    environ = os.environ if environ is None else environ
    if cli_address:
        return ResolvedAddress(normalise_address(cli_address), "--address")
    api_server = environ.get("RAY_API_SERVER_ADDRESS", "").strip()
    if api_server:
        return ResolvedAddress(normalise_address(api_server), "$RAY_API_SERVER_ADDRESS")
    ray_address = environ.get("RAY_ADDRESS", "").strip()
    if ray_address.startswith(("http://", "https://")):
        return ResolvedAddress(normalise_address(ray_address), "$RAY_ADDRESS")
    if ray_address and ray_address != "local":  # `local` asks for a new local cluster
        return ResolvedAddress(None, f"$RAY_ADDRESS={ray_address}", ray_address)
    if settings.address:
        return ResolvedAddress(normalise_address(settings.address), "config")
    return ResolvedAddress(None, "default")


def dashboard_answers(address: str, timeout: float = 1.0) -> bool:
    """A quick, token-free look: does a Ray dashboard answer here?"""
    from sovtui.cluster.readiness import gcs_healthy  # loads httpx: only when probing

    return gcs_healthy(address, timeout)


@dataclass
class Connection:
    client: DashboardClient
    mode: str
    source: str
    head: EmbeddedHead | None = None
    project: str | None = None
    tunnel: SshTunnel | None = None  # ours: closed with the connection
    context: str | None = None  # the context's name, when one was chosen

    @property
    def address(self) -> str:
        return self.client.address

    @property
    def label(self) -> str:
        name = self.mode
        if self.mode in (MODE_COMPOSE, MODE_SLURM):
            name = f"{self.mode}: {self.project}"
        elif self.context is not None:
            name = f"{name}: {self.context}"
        derived = self.mode == MODE_ATTACHED and self.source.startswith("$RAY_ADDRESS=")
        where = self.address
        if self.tunnel is not None and self.address.startswith(self.tunnel.local_url):
            where = f"{self.tunnel.remote} via {self.tunnel.via}"
        return f"{name} · {where}" + (f" (from {self.source})" if derived else "")

    def tunnel_json(self) -> dict[str, object] | None:
        """What `status --json` says about the tunnel (None without one)."""
        tunnel = self.tunnel
        if tunnel is None:
            return None
        return {
            "via": str(tunnel.via),
            "local": tunnel.local_url,
            "remote": tunnel.remote,
            "state": tunnel.state.state,
            "ssh_pid": tunnel.pid,
            "manual_command": tunnel.manual_command(),
        }

    async def close(self, keep_head: bool = False) -> None:
        if self.head is not None and not keep_head:
            await self._stop_head_jobs()
        await self.client.aclose()
        if self.tunnel is not None:
            await asyncio.to_thread(self.tunnel.close)
        if self.head is not None:
            if keep_head:
                self.head.keep()  # else its guard stops it when this process ends
            else:
                self.head.stop()

    async def _stop_head_jobs(self) -> None:
        """The jobs of the head about to stop end first (their drivers would outlive it). Its
        own client: the app's may be closed by now, and belonged to the app's event loop.
        Nothing here may keep the head from stopping: any failure only skips this step."""
        client = DashboardClient(self.client.address, self.client.token)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(stop_running_jobs(client), JOBS_STOP_WAIT_S + 4)
        with contextlib.suppress(Exception):
            await client.aclose()


def recorded_compose_connection(settings: Settings) -> Connection | None:
    """A Compose cluster recorded by `sovtui up` whose dashboard answers now, if any."""
    for record in store.list_records():
        token = store.read_token(record.project)
        if token and dashboard_answers(record.dashboard_url, timeout=0.5):
            source = f"compose project {record.project}"
            client = new_client(settings, record.dashboard_url, explicit_token(token, source))
            return Connection(client, MODE_COMPOSE, source, project=record.project)
    return None


def new_client(settings: Settings, address: str, token: TokenLookup) -> DashboardClient:
    return DashboardClient(
        address,
        token,
        timeout=settings.request_timeout,
        max_bytes=settings.max_response_mb * MIB,
    )


def recorded_embedded_connection(settings: Settings) -> Connection | None:
    """An embedded head kept running by an earlier sovtui, if one answers with its token.

    Not ours to stop: `head` stays None, so closing this connection leaves it running."""
    found = reachable_kept_head(timeout=1.0)
    if found is None:
        return None
    record, head_token = found
    source = f"embedded head kept earlier (pid {record.pid})"
    client = new_client(settings, record.dashboard_url, explicit_token(head_token, source))
    return Connection(client, MODE_EMBEDDED, source)


def _attached(settings: Settings, address: str, token: TokenLookup, source: str) -> Connection:
    return Connection(new_client(settings, address, token), MODE_ATTACHED, source)


def _through(
    settings: Settings,
    address: str,
    via: str,
    local_port: int | None,
    token: TokenLookup,
    mode: str,
    source: str,
    progress: Progress | None,
) -> Connection:
    """A connection to `address` as `via` sees it, through a tunnel opened now (TunnelError:
    one line, when it does not open)."""
    from sovtui.cluster.ssh.tunnel import tunnel_to

    tunnel, local_address = tunnel_to(address, via, settings.ssh, local_port)
    if progress is not None:
        progress(
            f"ssh tunnel {tunnel.describe()} (ssh pid {tunnel.pid}); the same by hand: "
            f"{tunnel.manual_command()}"
        )
    client = new_client(settings, local_address, token)
    client.path_check = tunnel.path_check
    return Connection(client, mode, f"{source} via {tunnel.via}", tunnel=tunnel)


def context_mode(context: Context) -> str:
    """The connection mode a context is watched in (compose, embedded, else attached)."""
    return {KIND_COMPOSE: MODE_COMPOSE, KIND_EMBEDDED: MODE_EMBEDDED}.get(
        context.kind, MODE_ATTACHED
    )


def context_connection(
    settings: Settings,
    context: Context,
    *,
    via: str | None = None,
    local_port: int | None = None,
    environ: Mapping[str, str] | None = None,
    token: TokenLookup | None = None,
    progress: Progress | None = None,
) -> Connection:
    """The named context's dashboard (through its tunnel, or `via` given on the command line);
    never a head it would own: closing the connection leaves the cluster as it is."""
    token = token or context.token(environ)
    mode = context_mode(context)
    source = f"context {context.name}"
    via = via or context.via
    if via:
        connection = _through(
            settings,
            context.address,
            via,
            local_port or context.local_port,
            token,
            mode,
            source,
            progress,
        )
    else:
        connection = Connection(new_client(settings, context.address, token), mode, source)
    connection.project = context.project
    connection.context = context.name
    return connection


def _derived(
    settings: Settings, resolved: ResolvedAddress, environ: Mapping[str, str]
) -> tuple[str, str]:
    """(URL, how it was found) of the dashboard of the Ray cluster $RAY_ADDRESS names, answering;
    else NoCluster."""
    assert resolved.ray_address is not None
    try:
        derived = derive_dashboard(resolved.ray_address, resolved.source, environ)
    except RayAddressError as error:
        raise NoCluster(f"{error}; no embedded head is started while RAY_ADDRESS is set") from None
    if not dashboard_answers(derived.url, timeout=min(settings.request_timeout, 3.0)):
        raise NoCluster(
            f"{resolved.source}: no Ray dashboard answers at {derived.url} ({derived.how}); "
            "no embedded head is started while RAY_ADDRESS is set"
        )
    return derived.url, derived.how


def attach_connection(
    settings: Settings,
    *,
    cli_address: str | None = None,
    environ: Mapping[str, str] | None = None,
    use_compose_records: bool = True,
    token: TokenLookup | None = None,
    context: str | None = None,
    via: str | None = None,
    local_port: int | None = None,
    progress: Progress | None = None,
) -> Connection | None:
    """The dashboard the user named (a context, an address, through `via`), else one found
    answering (a Compose cluster sovtui brought up, a kept head, then `default_address`); None
    when nothing was named and nothing answers."""
    if context:
        chosen = find_context(settings, context)
        return context_connection(
            settings,
            chosen,
            via=via,
            local_port=local_port,
            environ=environ,
            token=token,
            progress=progress,
        )
    resolved = resolve_address(cli_address, settings, environ)
    token = token or find_token(environ)
    if via:
        if resolved.address is None and resolved.ray_address is not None:
            raise BadTarget(
                f"--via {via}: {resolved.source} names a Ray cluster, not a dashboard; give "
                "--address http://HOST:PORT (the dashboard as that host sees it)"
            )
        address = resolved.address or normalise_address(settings.default_address)
        source = resolved.source if resolved.address else "default_address"
        return _through(settings, address, via, local_port, token, MODE_ATTACHED, source, progress)
    if resolved.address is not None:
        return _attached(settings, resolved.address, token, resolved.source)
    if resolved.ray_address is not None:
        url, how = _derived(settings, resolved, os.environ if environ is None else environ)
        return _attached(settings, url, token, f"{resolved.source} {how}")
    if use_compose_records:
        compose = recorded_compose_connection(settings)
        if compose is not None:
            return compose
        kept = recorded_embedded_connection(settings)
        if kept is not None:
            return kept
    default = normalise_address(settings.default_address)
    if dashboard_answers(default):
        return _attached(settings, default, token, f"found at {default}")
    return None


def open_connection(
    settings: Settings,
    *,
    cli_address: str | None = None,
    environ: Mapping[str, str] | None = None,
    allow_embedded: bool = True,
    use_compose_records: bool = True,
    token: TokenLookup | None = None,
    progress: Progress | None = None,
    context: str | None = None,
    via: str | None = None,
    local_port: int | None = None,
) -> Connection:
    """Resolve the address, starting an embedded head when nothing else is there."""
    connection = attach_connection(
        settings,
        cli_address=cli_address,
        environ=environ,
        use_compose_records=use_compose_records,
        token=token,
        context=context,
        via=via,
        local_port=local_port,
        progress=progress,
    )
    token = token or find_token(environ)
    if connection is not None:
        return connection
    default = normalise_address(settings.default_address)
    if not allow_embedded:
        # Nothing answers: point at the default anyway, so the caller reports it unreachable.
        return _attached(settings, default, token, f"found at {default}")
    if not settings.embed:
        raise NoCluster(
            f"no Ray dashboard answers at {default} and starting an embedded head is off "
            "(--no-embed, embed: false or SOVTUI_EMBED); name a cluster with --address or "
            "$RAY_ADDRESS"
        )
    head = start_embedded_head(settings.embedded, progress)
    head_token = explicit_token(head.token, "the embedded head's own token")
    client = new_client(settings, head.dashboard_url, head_token)
    return Connection(client, MODE_EMBEDDED, "embedded head", head=head)
