"""The base image of the cluster image: pulled when a registry answers, else made by debootstrap.

Making it from Debian packages is what an air-gapped site does, so it is a feature, not a test
trick. A registry that does not answer must not stall the build: pulls get a short timeout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors
from docker.models.images import Image

from sovtui.cluster.errors import ClusterError

Log = Callable[[str], None]

LOCAL_BASE = "sovtui/debian-base:bookworm"
DEBIAN_SUITE = "bookworm"  # its python3 is 3.11
DEBIAN_PYTHON = "3.11"
PACKAGES = "python3,python3-venv,python3-pip,ca-certificates,procps"
PULL_TIMEOUT_S = 20


def pull_name(python: str) -> str:
    return f"python:{python}-slim-{DEBIAN_SUITE}"


def _local(client: docker.DockerClient, name: str) -> Image | None:
    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None


def _try_pull(name: str, log: Log) -> bool:
    log(f"base: trying to pull {name} (timeout {PULL_TIMEOUT_S}s)")
    try:
        quick = docker.from_env(timeout=PULL_TIMEOUT_S)
        repository, tag = name.split(":", 1)
        quick.images.pull(repository, tag=tag)
        return True
    except Exception as exc:  # any registry failure just means: build the base locally
        log(f"base: no registry answered ({str(exc).splitlines()[0][:120]})")
        return False


def _debootstrap(client: docker.DockerClient, work: Path, log: Log) -> None:
    if shutil.which("debootstrap") is None:
        raise ClusterError(
            "no registry answered and debootstrap is missing: apt-get install debootstrap "
            "(or run .ci/docker-setup.sh)"
        )
    rootfs = work / "rootfs"
    if not (work / "rootfs.complete").is_file():
        shutil.rmtree(rootfs, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        mirror = os.environ.get("SOVTUI_DEBIAN_MIRROR", "http://deb.debian.org/debian")
        command = ["debootstrap", "--variant=minbase", f"--include={PACKAGES}"]
        command += [DEBIAN_SUITE, str(rootfs), mirror]
        log(f"base: {' '.join(command)} (a few minutes)")
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
            raise ClusterError(f"debootstrap failed (exit {result.returncode}):\n{tail}")
        # Downloaded .debs are dead weight in an image.
        for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
            deb.unlink()
        (work / "rootfs.complete").write_text("ok\n", encoding="utf-8")
    tarball = work / "rootfs.tar"
    log(f"base: docker import -> {LOCAL_BASE}")
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
    repository, tag = LOCAL_BASE.split(":", 1)
    client.api.import_image_from_file(str(tarball), repository=repository, tag=tag)
    tarball.unlink()
    shutil.rmtree(rootfs, ignore_errors=True)
    (work / "rootfs.complete").unlink(missing_ok=True)


def ensure_base_image(
    client: docker.DockerClient, python: str, work: Path, log: Log
) -> tuple[str, str]:
    """Return (name, image id) of a base image with `python`, making one when needed."""
    for name in (pull_name(python), LOCAL_BASE):
        image = _local(client, name)
        if image is not None and (name != LOCAL_BASE or python == DEBIAN_PYTHON):
            log(f"base: using local {name}")
            return name, str(image.id)
    if _try_pull(pull_name(python), log):
        image = client.images.get(pull_name(python))
        return pull_name(python), str(image.id)
    if python != DEBIAN_PYTHON:
        raise ClusterError(
            f"no registry answered, and Debian {DEBIAN_SUITE}'s python3 is {DEBIAN_PYTHON}, "
            f"not the host's {python}: head, workers and drivers need the same Python"
        )
    _debootstrap(client, work, log)
    return LOCAL_BASE, str(client.images.get(LOCAL_BASE).id)
