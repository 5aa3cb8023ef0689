"""At start, sovtui watches a Compose cluster it brought up earlier, with that cluster's token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sovtui.cluster.compose import store
from sovtui.cluster.connect import MODE_COMPOSE, recorded_compose_connection
from sovtui.settings.model import Settings


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/api/gcs_healthz" else 404)
        self.end_headers()
        self.wfile.write(b"success")

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def dashboard() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_a_recorded_cluster_that_answers_is_watched_with_its_token(dashboard: str) -> None:
    store.ensure_token("tui-attach")
    store.save_record(store.ClusterRecord("tui-attach", "/x/cpu.yaml", dashboard, 1))
    try:
        connection = recorded_compose_connection(Settings())
        assert connection is not None
        assert connection.mode == MODE_COMPOSE and connection.project == "tui-attach"
        assert connection.label == f"compose: tui-attach · {dashboard}"
        assert connection.client.token.token == store.read_token("tui-attach")
        await connection.close()
    finally:
        store.forget("tui-attach")


def test_a_recorded_cluster_that_is_gone_is_skipped() -> None:
    store.ensure_token("tui-gone")
    store.save_record(store.ClusterRecord("tui-gone", "/x/cpu.yaml", "http://127.0.0.1:9", 1))
    try:
        assert recorded_compose_connection(Settings()) is None
    finally:
        store.forget("tui-gone")
