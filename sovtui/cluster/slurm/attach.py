"""A Connection to a Slurm cluster, for the CLI and the TUI, through connect.new_client."""

from __future__ import annotations

from sovtui.cluster.connect import MODE_SLURM, Connection, new_client
from sovtui.cluster.slurm.commands import SlurmError
from sovtui.cluster.slurm.lifecycle import token_for
from sovtui.cluster.slurm.records import SlurmCluster
from sovtui.settings.model import Settings


def connection_for(settings: Settings, cluster: SlurmCluster) -> Connection:
    """Watch `cluster` with its own token; the header says `slurm: NAME`. Closing the
    connection leaves the job running (`sovtui slurm down` ends it)."""
    if cluster.dashboard_url is None:
        raise SlurmError(f"cluster {cluster.name} (job {cluster.job_id}) has no head yet")
    client = new_client(settings, cluster.dashboard_url, token_for(cluster))
    source = f"slurm cluster {cluster.name} (job {cluster.job_id})"
    return Connection(client, MODE_SLURM, source, project=cluster.name)
