"""The one factory that decides which cluster sovtui watches and builds its dashboard client.

Order: --address > $RAY_API_SERVER_ADDRESS > $RAY_ADDRESS > config `address` > a Compose cluster
sovtui brought up (recorded here, dashboard answering; watched with its own token) > an embedded
head an earlier sovtui kept (`--keep`; recorded, guard alive, dashboard taking its token) > a
dashboard already answering at `default_address` > an embedded local head started here (unless
the `embed` setting or --no-embed forbids it). A $RAY_ADDRESS that names a Ray cluster
(`host:6379`, `auto`, `ray://`) is turned into its dashboard as Ray's job CLI does (see
cluster.ray_address), and while it is set no head is ever started: unreachable is an error naming
it. Used by the CLI, the TUI and the tests alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sovtui.cluster.compose import store
from sovtui.cluster.embedded_head import EmbeddedHead, start_embedded_head
from sovtui.cluster.kept_heads import reachable_kept_head
from sovtui.cluster.ray_address import RayAddressError, derive_dashboard
from sovtui.ray_api.auth import TokenLookup, explicit_token, find_token
from sovtui.ray_api.client import MIB, DashboardClient, normalise_address
from sovtui.ray_api.errors import DashboardUnreachable
from sovtui.settings.model import Settings

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

    @property
    def address(self) -> str:
        return self.client.address

    @property
    def label(self) -> str:
        name = self.mode
        if self.mode in (MODE_COMPOSE, MODE_SLURM):
            name = f"{self.mode}: {self.project}"
        derived = self.mode == MODE_ATTACHED and self.source.startswith("$RAY_ADDRESS=")
        return f"{name} · {self.address}" + (f" (from {self.source})" if derived else "")

    async def close(self, keep_head: bool = False) -> None:
        await self.client.aclose()
        if self.head is not None:
            if keep_head:
                self.head.keep()  # else its guard stops it when this process ends
            else:
                self.head.stop()


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
) -> Connection | None:
    """The dashboard the user named, else one found answering (a Compose cluster sovtui brought
    up, then `default_address`); None when nothing was named and nothing answers."""
    resolved = resolve_address(cli_address, settings, environ)
    token = token or find_token(environ)
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
) -> Connection:
    """Resolve the address, starting an embedded head when nothing else is there."""
    token = token or find_token(environ)
    connection = attach_connection(
        settings,
        cli_address=cli_address,
        environ=environ,
        use_compose_records=use_compose_records,
        token=token,
    )
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
