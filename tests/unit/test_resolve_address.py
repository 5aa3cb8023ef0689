from __future__ import annotations

from sovtui.cluster.connect import resolve_address
from sovtui.settings.model import Settings


def test_cli_address_wins() -> None:
    env = {"RAY_API_SERVER_ADDRESS": "http://a:1", "RAY_ADDRESS": "http://b:2"}
    resolved = resolve_address("c:3", Settings(address="http://d:4"), env)
    assert (resolved.address, resolved.source) == ("http://c:3", "--address")


def test_api_server_address_then_ray_address() -> None:
    env = {"RAY_API_SERVER_ADDRESS": "http://a:1", "RAY_ADDRESS": "http://b:2"}
    assert resolve_address(None, Settings(), env).address == "http://a:1"
    assert resolve_address(None, Settings(), {"RAY_ADDRESS": "http://b:2"}).address == "http://b:2"


def test_gcs_style_ray_address_wins_over_the_config() -> None:
    """Inside a Slurm allocation or on a Ray node RAY_ADDRESS is the GCS: it names the cluster."""
    resolved = resolve_address(
        None, Settings(address="http://d:4"), {"RAY_ADDRESS": "10.0.0.1:6379"}
    )
    assert resolved.address is None  # still to be asked of the GCS
    assert resolved.ray_address == "10.0.0.1:6379"
    assert resolved.source == "$RAY_ADDRESS=10.0.0.1:6379"


def test_ray_address_auto_is_a_cluster_to_resolve() -> None:
    resolved = resolve_address(None, Settings(), {"RAY_ADDRESS": "auto"})
    assert resolved.address is None and resolved.ray_address == "auto"


def test_nothing_set_means_probe_then_embed() -> None:
    for environ in ({}, {"RAY_ADDRESS": "local"}, {"RAY_ADDRESS": "  "}):
        resolved = resolve_address(None, Settings(), environ)
        assert resolved.address is None and resolved.ray_address is None
        assert resolved.source == "default"
