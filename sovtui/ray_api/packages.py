"""Ship the workload code to a running cluster without rebuilding images.

The package is a deterministic zip (sorted entries, fixed timestamps and modes, no __pycache__)
of `sovtui/__init__.py` and `sovtui/workloads/`, named by its sha1 the way Ray names its own
(`gcs://_ray_pkg_<hash>.zip`). Unchanged code has the same name, so the upload is skipped;
changed code gets a new name and runs at once. Ray unpacks gcs:// zips without stripping a top
folder, so `python -m sovtui.workloads.X` works from the job's working dir.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.errors import rejected

# The zip timestamp epoch (zip cannot express earlier dates); any fixed value keeps hashes stable.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
SKIP_DIRS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
SKIP_SUFFIXES = (".pyc", ".pyo", ".so.tmp")
DEFAULT_INCLUDE = ("sovtui/__init__.py", "sovtui/workloads")


@dataclass(frozen=True)
class Package:
    data: bytes
    sha1: str

    @property
    def name(self) -> str:
        return f"_ray_pkg_{self.sha1}.zip"

    @property
    def uri(self) -> str:
        return f"gcs://{self.name}"


def source_root() -> Path:
    """The folder holding the `sovtui` package."""
    return Path(__file__).resolve().parent.parent.parent


def _walk(root: Path, relative: str) -> Iterator[str]:
    path = root / relative
    if path.is_file():
        yield relative
        return
    for child in path.rglob("*"):
        parts = child.relative_to(root).parts
        if any(part in SKIP_DIRS or part.startswith(".") for part in parts):
            continue
        if child.is_file() and not child.name.endswith(SKIP_SUFFIXES):
            yield child.relative_to(root).as_posix()


def build_package(root: Path | None = None, include: Iterable[str] = DEFAULT_INCLUDE) -> Package:
    """Zip the given paths (relative to `root`) byte-for-byte reproducibly."""
    root = source_root() if root is None else root
    names = sorted({name for relative in include for name in _walk(root, relative)})
    if not names:
        raise FileNotFoundError(f"nothing to package under {root} ({', '.join(include)})")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # same mode everywhere, whatever the umask was
            info.create_system = 3  # unix, so the mode above is honoured
            archive.writestr(info, (root / name).read_bytes(), compresslevel=9)
    data = buffer.getvalue()
    return Package(data=data, sha1=hashlib.sha1(data).hexdigest())


async def package_exists(client: DashboardClient, package: Package) -> bool:
    # The GET also pins the package in the GCS for a while, so it survives until the submit.
    # Only the status matters: the package's bytes (limit=0) are not read.
    response = await client.request("GET", f"/api/packages/gcs/{package.name}", limit=0)
    if response.status_code == 200:
        return True
    if response.status_code == 404:
        return False
    raise rejected(f"checking package {package.name}", response.status_code, response.text)


async def upload_package(client: DashboardClient, package: Package) -> None:
    response = await client.request(
        "PUT", f"/api/packages/gcs/{package.name}", content=package.data, timeout=120.0
    )
    if response.status_code != 200:
        raise rejected(f"uploading package {package.name}", response.status_code, response.text)


async def ensure_package(client: DashboardClient, package: Package) -> bool:
    """Upload unless the cluster already has it; True when bytes were sent."""
    if await package_exists(client, package):
        return False
    await upload_package(client, package)
    return True
