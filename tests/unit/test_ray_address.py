"""A GCS-style $RAY_ADDRESS names the cluster; while it is set no embedded head starts, and the
`embed` setting / --no-embed forbid embedding altogether (issue 9, defect 9). No Ray head here:
a head that must not start is replaced by one that fails the test."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovtui.cli import bench
from sovtui.cli.common import settings_from_args
from sovtui.cluster import connect, ray_address
from sovtui.cluster.connect import MODE_ATTACHED, Connection, NoCluster, open_connection
from sovtui.cluster.ports import free_port
from sovtui.ray_api.client import DashboardClient
from sovtui.settings.model import Settings
from sovtui.settings.sources import load_settings
from tests.support.tokens import no_token


@pytest.fixture
def no_head(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an embedded head was started")

    monkeypatch.setattr(connect, "start_embedded_head", refuse)


@pytest.fixture
def listener() -> Iterator[int]:
    """A port that accepts TCP connections but is no Ray GCS."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def dead_settings() -> Settings:
    return Settings(default_address=f"http://127.0.0.1:{free_port()}")


def test_current_cluster_file_is_where_ray_start_writes_it() -> None:
    assert ray_address.current_cluster_file({}) == Path("/tmp/ray/ray_current_cluster")
    assert ray_address.current_cluster_file({"TMPDIR": "/t"}) == Path("/t/ray/ray_current_cluster")
    both = {"TMPDIR": "/t", "RAY_TMPDIR": "/r"}
    assert ray_address.current_cluster_file(both) == Path("/r/ray/ray_current_cluster")


def test_auto_without_a_recorded_cluster_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ray_address.RayAddressError) as caught:
        ray_address.derive_dashboard("auto", "$RAY_ADDRESS=auto", {"RAY_TMPDIR": str(tmp_path)})
    assert str(caught.value) == (
        f"$RAY_ADDRESS=auto: no Ray cluster started on this machine "
        f"({tmp_path}/ray/ray_current_cluster not found)"
    )


@pytest.mark.parametrize("value", ["nohost", "host:port", "host:70000", ":6379"])
def test_malformed_address_is_named(value: str) -> None:
    with pytest.raises(ray_address.RayAddressError, match="is not host:port"):
        ray_address.derive_dashboard(value, f"$RAY_ADDRESS={value}", {})


def test_without_ray_the_default_dashboard_port_is_assumed(
    monkeypatch: pytest.MonkeyPatch, listener: int, tmp_path: Path
) -> None:
    monkeypatch.setattr(ray_address, "ray_installed", lambda: False)
    (tmp_path / "ray").mkdir()
    (tmp_path / "ray" / "ray_current_cluster").write_text(f"127.0.0.1:{listener}\n")
    derived = ray_address.derive_dashboard("auto", "x", {"RAY_TMPDIR": str(tmp_path)})
    assert derived.url == "http://127.0.0.1:8265"
    assert derived.how == (
        f"({tmp_path}/ray/ray_current_cluster: 127.0.0.1:{listener}) "
        "dashboard port assumed: Ray is not installed here"
    )


def test_ray_client_address_means_the_heads_default_dashboard() -> None:
    derived = ray_address.derive_dashboard("ray://head.example:10001", "x", {})
    assert derived.url == "http://head.example:8265"


def test_dead_ray_address_is_one_line_naming_it_and_starts_no_head(no_head: None) -> None:
    port = free_port()
    environ = {"RAY_ADDRESS": f"127.0.0.1:{port}"}
    with pytest.raises(NoCluster) as caught:
        open_connection(dead_settings(), environ=environ)
    message = str(caught.value)
    assert message.startswith(f"$RAY_ADDRESS=127.0.0.1:{port}: nothing listens at 127.0.0.1:")
    assert "no embedded head is started while RAY_ADDRESS is set" in message
    assert "\n" not in message


def test_ray_address_without_a_dashboard_is_an_error_naming_it(
    no_head: None, listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Something listens at the GCS port but no dashboard answers: still no head."""
    monkeypatch.setattr(ray_address, "ray_installed", lambda: False)
    environ = {"RAY_ADDRESS": f"127.0.0.1:{listener}"}
    with pytest.raises(NoCluster, match=rf"^\$RAY_ADDRESS=127.0.0.1:{listener}: no Ray dashboard"):
        open_connection(dead_settings(), environ=environ)


@pytest.mark.parametrize("how", ["setting", "environment", "flag"])
def test_embedding_forbidden_means_one_line_and_no_head(no_head: None, how: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    if how == "setting":
        settings = Settings(default_address=dead, embed=False)
    elif how == "environment":
        environ = {"SOVTUI_EMBED": "false", "SOVTUI_DEFAULT_ADDRESS": dead}
        settings = load_settings(environ=environ)
    else:
        args = argparse.Namespace(no_embed=True)
        settings = settings_from_args(args)
        settings = Settings(default_address=dead, embed=settings.embed)
    with pytest.raises(NoCluster) as caught:
        open_connection(settings, environ={})
    assert str(caught.value).startswith(f"no Ray dashboard answers at {dead} and starting an")
    assert "--no-embed" in str(caught.value)


def test_the_label_says_what_the_address_was_derived_from() -> None:
    client = DashboardClient("http://127.0.0.1:8265", no_token())
    source = "$RAY_ADDRESS=10.0.0.5:6379 via the GCS"
    connection = Connection(client, MODE_ATTACHED, source)
    assert connection.label == (
        "attached · http://127.0.0.1:8265 (from $RAY_ADDRESS=10.0.0.5:6379 via the GCS)"
    )
    assert (
        Connection(client, MODE_ATTACHED, "--address").label == "attached · http://127.0.0.1:8265"
    )


def test_bench_never_drops_ray_address_for_a_private_head(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_private_head(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("bench started a private Ray head")

    monkeypatch.setattr(bench, "run_workload", no_private_head)
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{free_port()}")
    assert bench.main(["sort", "--keys", "1000", "--no-save"]) == 1
    assert "$RAY_ADDRESS=127.0.0.1:" in capsys.readouterr().err


def test_bench_with_no_embed_starts_no_private_head(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "run_workload", lambda *_a, **_k: pytest.fail("private head"))
    monkeypatch.setenv("SOVTUI_DEFAULT_ADDRESS", f"http://127.0.0.1:{free_port()}")
    assert bench.main(["sort", "--keys", "1000", "--no-save", "--no-embed"]) == 1
    assert "forbids a private Ray head" in capsys.readouterr().err
