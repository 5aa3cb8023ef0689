from __future__ import annotations

from sovtui.config import Settings
from sovtui.connect import resolve_address


def test_cli_address_wins() -> None:
    env = {"RAY_API_SERVER_ADDRESS": "http://a:1", "RAY_ADDRESS": "http://b:2"}
    resolved = resolve_address("c:3", Settings(address="http://d:4"), env)
    assert (resolved.address, resolved.source) == ("http://c:3", "--address")


def test_api_server_address_then_ray_address() -> None:
    env = {"RAY_API_SERVER_ADDRESS": "http://a:1", "RAY_ADDRESS": "http://b:2"}
    assert resolve_address(None, Settings(), env).address == "http://a:1"
    assert resolve_address(None, Settings(), {"RAY_ADDRESS": "http://b:2"}).address == "http://b:2"


def test_ray_address_that_is_not_http_is_ignored() -> None:
    resolved = resolve_address(
        None, Settings(address="http://d:4"), {"RAY_ADDRESS": "10.0.0.1:6379"}
    )
    assert (resolved.address, resolved.source) == ("http://d:4", "config")


def test_nothing_set_means_probe_then_embed() -> None:
    resolved = resolve_address(None, Settings(), {"RAY_ADDRESS": "auto"})
    assert resolved.address is None and resolved.source == "default"
