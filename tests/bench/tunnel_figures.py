"""Tunnel figures: time to bring a tunnel up and to heal it after its ssh is killed (ms).

    python -m tests.bench.tunnel_figures [--runs N]

A private sshd on 127.0.0.1 (tests/sshd.py) and a small HTTP server answering
`/api/gcs_healthz` stand in for a login node and a dashboard. "up" is `tunnel_to` from start to
an HTTP answer through the forward; "reconnect" is SIGKILL of ssh to the tunnel `up` again
(the supervisor's first retry waits 0.2 s of that) and answering HTTP.
"""

from __future__ import annotations

import argparse
import http.server
import os
import signal
import statistics
import threading
import time

from sovtui.cluster.ssh.tunnel import http_probe, tunnel_to
from sovtui.settings.model import SshSettings
from tests.support.sshd import GOOD_HOST, PrivateSshd


class _Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "7")
        self.end_headers()
        self.wfile.write(b"success")

    def log_message(self, *_args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Healthz)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{server.server_address[1]}"
    os.environ.pop("SSH_AUTH_SOCK", None)
    sshd = PrivateSshd().start()
    ups: list[float] = []
    heals: list[float] = []
    try:
        settings = SshSettings(config_file=str(sshd.config_file))
        for _ in range(args.runs):
            start = time.perf_counter()
            tunnel, _url = tunnel_to(address, GOOD_HOST, settings)
            assert http_probe(tunnel.local_port) == "answered"
            ups.append((time.perf_counter() - start) * 1000)
            pid = tunnel.pid
            assert pid is not None
            start = time.perf_counter()
            os.kill(pid, signal.SIGKILL)
            while not (tunnel.state.up and tunnel.pid not in (None, pid)):
                time.sleep(0.002)
            assert http_probe(tunnel.local_port) == "answered"
            heals.append((time.perf_counter() - start) * 1000)
            tunnel.close()
    finally:
        sshd.stop()
        server.shutdown()
    for name, values in (("tunnel up", ups), ("reconnect after SIGKILL", heals)):
        print(
            f"{name:<24} median {statistics.median(values):7.1f} ms  "
            f"min {min(values):7.1f}  max {max(values):7.1f}  (n={len(values)})"
        )


if __name__ == "__main__":
    main()
