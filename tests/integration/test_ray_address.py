"""A GCS-style $RAY_ADDRESS (`host:port`, `auto`) finds the real head's dashboard through the GCS,
and a dead one is a one-line error naming it, with no head started (issue 9, defect 9)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sovtui.cluster.embedded_head import EmbeddedHead
from sovtui.cluster.ports import free_port
from tests.support.sovtui_cli import sovtui

pytestmark = pytest.mark.ray


def head_env(head: EmbeddedHead, ray_address: str, **extra: str) -> dict[str, str]:
    """What a shell on a Ray node has: RAY_ADDRESS and the cluster's token, nothing else."""
    env = dict(os.environ, RAY_ADDRESS=ray_address, RAY_AUTH_TOKEN=head.token, **extra)
    env.pop("RAY_AUTH_MODE", None)
    # Nothing at the default address: only RAY_ADDRESS can lead to the head.
    env["SOVTUI_DEFAULT_ADDRESS"] = f"http://127.0.0.1:{free_port()}"
    return env


def test_status_follows_a_gcs_ray_address_to_the_dashboard(ray_head: EmbeddedHead) -> None:
    env = head_env(ray_head, ray_head.gcs_address)
    done = sovtui("status", "--json", env=env)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["address"] == ray_head.dashboard_url
    assert document["source"] == f"$RAY_ADDRESS={ray_head.gcs_address} via the GCS"
    assert any(node["is_head"] for node in document["nodes"])

    text = sovtui("status", env=env)
    assert text.returncode == 0, text.stderr
    derived = f"(from $RAY_ADDRESS={ray_head.gcs_address} via the GCS)"
    assert text.stdout.splitlines()[0].endswith(f"attached · {ray_head.dashboard_url} {derived}")


def test_ray_address_auto_reads_ray_current_cluster(ray_head: EmbeddedHead, tmp_path: Path) -> None:
    record = tmp_path / "ray" / "ray_current_cluster"
    record.parent.mkdir()
    record.write_text(ray_head.gcs_address)
    done = sovtui("status", "--json", env=head_env(ray_head, "auto", RAY_TMPDIR=str(tmp_path)))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["address"] == ray_head.dashboard_url
    assert document["source"] == (
        f"$RAY_ADDRESS=auto ({record}: {ray_head.gcs_address}) via the GCS"
    )


def test_dead_ray_address_exits_1_naming_it_and_starts_no_head(ray_head: EmbeddedHead) -> None:
    dead = f"127.0.0.1:{free_port()}"
    embedded = Path(os.environ["XDG_STATE_HOME"]) / "sovtui" / "embedded"
    before = set(embedded.glob("*.json")) if embedded.is_dir() else set()
    for command in (["status"], ["run"]):
        done = sovtui(*command, env=head_env(ray_head, dead), timeout=30)
        assert done.returncode == 1, done.stderr
        assert done.stderr.splitlines() == [
            f"sovtui: disconnected: $RAY_ADDRESS={dead}: nothing listens at {dead} "
            "(is Ray running?); no embedded head is started while RAY_ADDRESS is set"
        ]
    after = set(embedded.glob("*.json")) if embedded.is_dir() else set()
    assert after == before  # no embedded head was recorded


def test_no_embed_with_nothing_answering_exits_1_without_a_head() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    env = dict(os.environ, SOVTUI_DEFAULT_ADDRESS=dead)
    env.pop("RAY_ADDRESS", None)
    done = sovtui("--no-embed", env=env, timeout=30)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"sovtui: disconnected: no Ray dashboard answers at {dead} and starting an embedded "
        "head is off (--no-embed, embed: false or SOVTUI_EMBED); name a cluster with --address "
        "or $RAY_ADDRESS"
    ]
