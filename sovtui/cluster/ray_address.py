"""A Ray cluster address (`$RAY_ADDRESS`: `host:port` of the GCS, `auto`, `ray://...`) -> the
dashboard URL, found the way Ray's job CLI finds it.

Ray's job CLI (`ray.dashboard.utils.get_address_for_submission_client`) reads the dashboard's
`host:port` from the GCS internal KV (key `dashboard`, namespace `dashboard`); `auto` is the GCS
address written by the last `ray start` to `$RAY_TMPDIR|$TMPDIR|/tmp` + `/ray/ray_current_cluster`.
This process never imports ray: when Ray is installed, a short Ray subprocess asks the GCS;
otherwise (or when it cannot say) the dashboard is assumed on its default port, 8265.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DASHBOARD_PORT = 8265
GCS_ASK_TIMEOUT_S = 20.0  # importing Ray alone takes 1-3 s on a loaded login node
RAY_CLIENT_SCHEME = "ray://"

# Run as `python -c`: print the dashboard's host:port the GCS has on record (empty if none).
_ASK_GCS = """
import sys
from ray._raylet import GcsClient
url = GcsClient(address=sys.argv[1]).internal_kv_get(
    b"dashboard", b"dashboard", timeout=float(sys.argv[2])
)
sys.stdout.write(url.decode() if url else "")
"""


class RayAddressError(Exception):
    """The address cannot be turned into a dashboard; the message is one line naming it."""


@dataclass(frozen=True)
class DerivedDashboard:
    url: str  # http://host:port of the dashboard
    how: str  # "via the GCS", or why the default port was assumed


def current_cluster_file(environ: Mapping[str, str]) -> Path:
    """Where `ray start` records the latest GCS address (Ray's get_ray_address_file)."""
    base = environ.get("RAY_TMPDIR") or environ.get("TMPDIR") or "/tmp"
    return Path(base) / "ray" / "ray_current_cluster"


def split_host_port(address: str, described: str) -> tuple[str, int]:
    host, sep, port = address.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RayAddressError(f"{described} is not host:port")
    return host, int(port)


def gcs_address(value: str, described: str, environ: Mapping[str, str]) -> tuple[str, str]:
    """(host:port of the GCS, how it was found) for `host:port` or `auto`."""
    if value != "auto":
        return value, ""
    record = current_cluster_file(environ)
    try:
        found = record.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        raise RayAddressError(
            f"{described}: no Ray cluster started on this machine ({record} not found)"
        ) from None
    if not found:
        raise RayAddressError(f"{described}: {record} is empty")
    return found, f"({record}: {found}) "


def gcs_listens(host: str, port: int, timeout: float) -> bool:
    """A quick TCP look, so a dead address fails in a moment, not after Ray's retries."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None  # finds, never imports


def _run_ask(gcs: str, timeout: float, environ: Mapping[str, str]) -> tuple[str | None, str]:
    """(the dashboard's host:port or None, the subprocess's last error line)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _ASK_GCS, gcs, str(max(1.0, timeout - 5.0))],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env={**environ, "RAY_USAGE_STATS_ENABLED": "0"},
        )
    except subprocess.TimeoutExpired:
        return None, f"no answer within {timeout:g} s"
    except OSError as error:
        return None, str(error)
    answer = done.stdout.strip()
    if done.returncode == 0 and answer:
        return answer, ""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return None, (lines[-1] if lines else f"exit code {done.returncode}")


def ask_gcs(
    gcs: str, environ: Mapping[str, str] | None = None, timeout: float = GCS_ASK_TIMEOUT_S
) -> tuple[str | None, str]:
    """The dashboard's host:port recorded in the GCS, via a Ray subprocess, and why not if None.

    A GCS with token auth refuses a client whose RAY_AUTH_MODE is unset even when the token is
    at hand (Ray's own CLI fails the same way): then it is asked once more in token mode."""
    environ = dict(os.environ if environ is None else environ)
    answer, problem = _run_ask(gcs, timeout, environ)
    if answer is None and "AuthenticationError" in problem and "RAY_AUTH_MODE" not in environ:
        answer, problem = _run_ask(gcs, timeout, {**environ, "RAY_AUTH_MODE": "token"})
    return answer, problem


def derive_dashboard(
    value: str,
    described: str,
    environ: Mapping[str, str],
    *,
    connect_timeout: float = 3.0,
) -> DerivedDashboard:
    """`described` names the value in messages, e.g. `$RAY_ADDRESS=10.0.0.5:6379`."""
    if value.startswith(RAY_CLIENT_SCHEME):
        # A Ray Client address: its head serves the dashboard on the default port.
        host, _ = split_host_port(value[len(RAY_CLIENT_SCHEME) :].split("/")[0], described)
        return DerivedDashboard(f"http://{host}:{DASHBOARD_PORT}", "dashboard port assumed")
    gcs, found_how = gcs_address(value, described, environ)
    host, port = split_host_port(gcs, described)
    if not gcs_listens(host, port, connect_timeout):
        raise RayAddressError(f"{described}: nothing listens at {host}:{port} (is Ray running?)")
    if not ray_installed():
        recorded, reason = None, "Ray is not installed here"
    else:
        recorded, problem = ask_gcs(gcs, environ)
        if "AuthenticationError" in problem:
            problem = "it wants the cluster's Ray auth token"
        reason = f"the GCS did not say ({problem[:200]})"
    if recorded:
        url = recorded if "://" in recorded else f"http://{recorded}"
        return DerivedDashboard(url, f"{found_how}via the GCS")
    return DerivedDashboard(
        f"http://{host}:{DASHBOARD_PORT}", f"{found_how}dashboard port assumed: {reason}"
    )
