"""`sovtui image build`: the cluster image, pinned to the host's Ray and Python, registry-free.

Steps: wheelhouse (pip download, cached) -> base image (pull or debootstrap) -> build context in
the cache -> content-hash tag; an existing tag means nothing changed and the build is skipped.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from sovtui.cluster.compose.base_image import ensure_base_image
from sovtui.cluster.compose.docker_client import connect
from sovtui.cluster.compose.wheelhouse import ensure_wheelhouse
from sovtui.cluster.errors import ClusterError
from sovtui.support import locations

Log = Callable[[str], None]

IMAGE_REPOSITORY = "sovtui/ray"
LATEST = f"{IMAGE_REPOSITORY}:latest"  # the default image of deployments/compose/*.yaml
# The CPU build: an unpinned torch drags several GB of CUDA wheels in.
DEFAULT_TORCH = "torch==2.13.0+cpu"


@dataclass(frozen=True)
class ImageResult:
    tag: str
    image_id: str
    built: bool  # False when the content-hash tag already existed


def host_versions() -> tuple[str, str]:
    """(python 'X.Y', ray version) of this host; metadata only, so ray is never imported."""
    try:
        ray_version = importlib.metadata.version("ray")
    except importlib.metadata.PackageNotFoundError:
        raise ClusterError(
            "ray is not installed on this host; cannot pin the image to it"
        ) from None
    return f"{sys.version_info.major}.{sys.version_info.minor}", ray_version


def requirements(ray_version: str) -> list[str]:
    torch = os.environ.get("SOVTUI_TORCH_REQUIREMENT", DEFAULT_TORCH)
    # The same extras as the host's `train` and `bench`: the workloads run in these containers.
    return [f"ray[default,train,data]=={ray_version}", "numpy", "scikit-learn", torch]


def content_tag(
    dockerfile: bytes, reqs: list[str], versions: tuple[str, str], base_id: str, wheels: list[Path]
) -> str:
    digest = hashlib.sha256()
    for part in (dockerfile, "\n".join(reqs).encode(), repr(versions).encode(), base_id.encode()):
        digest.update(part)
        digest.update(b"\0")
    digest.update("\n".join(sorted(w.name for w in wheels)).encode())
    python, ray_version = versions
    return f"{IMAGE_REPOSITORY}:{ray_version}-py{python}-{digest.hexdigest()[:12]}"


def _prepare_context(context: Path, dockerfile: Path, reqs: list[str], wheels: list[Path]) -> None:
    shutil.rmtree(context, ignore_errors=True)
    (context / "wheels").mkdir(parents=True)
    shutil.copy2(dockerfile, context / "Dockerfile")
    (context / "requirements.txt").write_text("\n".join(reqs) + "\n", encoding="utf-8")
    for wheel in wheels:
        try:  # same filesystem as the cache: a hard link costs nothing
            os.link(wheel, context / "wheels" / wheel.name)
        except OSError:
            shutil.copy2(wheel, context / "wheels" / wheel.name)


def _stream_build(client: docker.DockerClient, context: Path, tag: str, base: str, log: Log) -> str:
    image_id = ""
    for chunk in client.api.build(
        path=str(context),
        tag=tag,
        buildargs={"BASE_IMAGE": base},
        rm=True,
        forcerm=True,
        decode=True,
    ):
        if "error" in chunk:
            raise ClusterError(f"image build failed: {chunk['error'].strip()}")
        if "aux" in chunk and "ID" in chunk["aux"]:
            image_id = chunk["aux"]["ID"]
        for line in str(chunk.get("stream", "")).splitlines():
            if line.strip():
                log(f"build: {line}")
    return image_id or str(client.images.get(tag).id)


def build_image(
    log: Log = print, *, force: bool = False, client: docker.DockerClient | None = None
) -> ImageResult:
    """Build (or find) the cluster image and tag it `sovtui/ray:latest`."""
    client = client or connect(timeout=600)
    versions = host_versions()
    reqs = requirements(versions[1])
    cache = locations.cache_dir()
    dockerfile = locations.deployments_dir() / "image" / "Dockerfile"
    if not dockerfile.is_file():
        raise ClusterError(f"missing {dockerfile}")
    log(f"image: python {versions[0]}, ray {versions[1]}")
    wheels = ensure_wheelhouse(cache, versions[0], reqs, log)
    base, base_id = ensure_base_image(client, versions[0], cache / "base", log)
    tag = content_tag(dockerfile.read_bytes(), reqs, versions, base_id, wheels)
    try:
        existing = client.images.get(tag)
    except docker.errors.ImageNotFound:
        existing = None
    if existing is not None and not force:
        existing.tag(IMAGE_REPOSITORY, "latest")
        log(f"image: {tag} is up to date (tagged {LATEST})")
        return ImageResult(tag, str(existing.id), built=False)
    context = cache / "build-context"
    _prepare_context(context, dockerfile, reqs, wheels)
    log(f"image: building {tag} from {base} ({len(wheels)} wheels)")
    image_id = _stream_build(client, context, tag, base, log)
    client.images.get(tag).tag(IMAGE_REPOSITORY, "latest")
    shutil.rmtree(context, ignore_errors=True)
    log(f"image: built {tag}, tagged {LATEST}")
    return ImageResult(tag, image_id, built=True)


if (
    __name__ == "__main__"
):  # `python -m sovtui.cluster.compose.image_build`: make/CI, without the CLI
    build_image(lambda line: None if line.startswith("build:") else print(line, flush=True))
