"""A host-side wheelhouse for the cluster image: `pip download` once, reuse from the cache."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sovtui.cluster.errors import ClusterError

Log = Callable[[str], None]

# The image is Debian bookworm (glibc 2.36) on x86_64; ask pip for wheels that run there,
# whatever the host is, and never for sdists (nothing compiles inside the build).
_PLATFORMS = (
    "manylinux_2_36_x86_64",
    "manylinux_2_28_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "linux_x86_64",
)


def wheelhouse_dir(cache: Path, python: str, requirements: Sequence[str]) -> Path:
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:12]
    return cache / "wheelhouse" / f"py{python.replace('.', '')}-{digest}"


def _download_command(target: Path, requirements_file: Path, python: str) -> list[str]:
    command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check"]
    command += ["-d", str(target), "-r", str(requirements_file), "--only-binary=:all:"]
    command += ["--python-version", python, "--implementation", "cp"]
    abi = f"cp{python.replace('.', '')}"
    command += ["--abi", abi, "--abi", "abi3", "--abi", "none"]
    for platform in _PLATFORMS:
        command += ["--platform", platform]
    return command


def ensure_wheelhouse(
    cache: Path, python: str, requirements: Sequence[str], log: Log
) -> list[Path]:
    """Return the wheels for `requirements`, downloading them on the first call only."""
    target = wheelhouse_dir(cache, python, requirements)
    done = target / ".complete"
    if done.is_file():
        log(f"wheelhouse: reusing {target}")
        return sorted(target.glob("*.whl"))
    target.mkdir(parents=True, exist_ok=True)
    requirements_file = target / "requirements.txt"
    requirements_file.write_text("\n".join(requirements) + "\n", encoding="utf-8")
    log(f"wheelhouse: pip download into {target}")
    process = subprocess.Popen(
        _download_command(target, requirements_file, python),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    tail: list[str] = []
    for line in process.stdout:
        line = line.rstrip()
        tail = [*tail[-19:], line]
        if line.startswith(("Saved", "Collecting", "ERROR")):
            log(f"wheelhouse: {line}")
    if process.wait() != 0:
        raise ClusterError("pip download failed:\n" + "\n".join(tail))
    done.write_text("ok\n", encoding="utf-8")
    return sorted(target.glob("*.whl"))
