"""RSS of the TUI after opening a 1M-line job log five times (issue 9, defect 6).

    PYTHONPATH=. python tests/bench/job_log_memory.py [--lines 1000000] [--opens 5]

A child process serves a finished job and its log the way Ray's dashboard does
(`GET /api/jobs/{id}` and `GET /api/jobs/{id}/logs` -> {"logs": "..."}) on 127.0.0.1; this
process runs the app headless, opens the Job screen, waits for the whole log, goes back, and
does that `--opens` times. It prints the RSS after each open and the peak (VmHWM), in MB.
Run it against another checkout's sovtui (PYTHONPATH) for a before/after comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JOB_ID = "sovtui-memory-20260101-000000"


def serve(lines: int) -> None:
    log = "".join(
        f"{i:07d} INFO worker.py:42 -- processed batch {i} in 0.013 s\n" for i in range(lines)
    )
    logs_body = json.dumps({"logs": log}).encode()
    job = {
        "type": "SUBMISSION",
        "submission_id": JOB_ID,
        "status": "SUCCEEDED",
        "entrypoint": "python print_lines.py",
        "message": "Job finished successfully.",
        "start_time": 1767225600000,
        "end_time": 1767225660000,
        "metadata": {},
    }
    job_body = json.dumps(job).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = logs_body if self.path.endswith("/logs") else job_body
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def rss_mb() -> tuple[float, float]:
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def job_log_read(app: Any) -> bool:
    from sovtui.tui.screens.job import JobScreen

    return isinstance(app.screen, JobScreen) and app.screen.log_ended


async def measure(port: int, opens: int) -> None:
    from textual.widgets import Log

    from sovtui.cluster.connect import MODE_ATTACHED, Connection
    from sovtui.ray_api.auth import TokenLookup
    from sovtui.ray_api.client import DashboardClient
    from sovtui.settings.model import Settings
    from sovtui.tui.screens.job import JobScreen
    from tests.support.app_factory import make_app
    from tests.support.waiting import idle, wait_for

    token = TokenLookup(None, None, ())
    client = DashboardClient(f"http://127.0.0.1:{port}", token, timeout=120)
    app = make_app(Connection(client, MODE_ATTACHED, "--address"), Settings(), poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.painted)
        await idle(pilot)
        print(f"start: RSS {rss_mb()[0]:.0f} MB", flush=True)
        for attempt in range(1, opens + 1):
            started = time.monotonic()
            screen = JobScreen(app.services, JOB_ID)
            await app.push_screen(screen)
            await wait_for(pilot, lambda: job_log_read(app), 900)
            await idle(pilot)
            seconds = time.monotonic() - started
            shown = len(screen.query_one(Log).lines)
            app.pop_screen()
            await wait_for(pilot, lambda: not isinstance(app.screen, JobScreen))
            await idle(pilot)
            del screen
            gc.collect()
            rss, peak = rss_mb()
            print(
                f"open {attempt}: {seconds:.1f} s, {shown} lines on screen, "
                f"RSS after going back {rss:.0f} MB (peak so far {peak:.0f} MB)",
                flush=True,
            )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.lines)
        return 0
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--lines", str(args.lines)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        asyncio.run(measure(port, args.opens))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
