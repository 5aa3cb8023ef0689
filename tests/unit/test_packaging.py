"""pyproject.toml lists the packages by hand (the shipped folders are mapped into the wheel):
this keeps the list equal to the tree, and every shipped file covered by package data."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from sovtui.support.extras import EXTRA_FOR_MODULE, missing_extra_message
from sovtui.support.locations import project_root

ROOT = project_root()
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _package_folder(package: str) -> Path:
    mapping: dict[str, str] = SETUPTOOLS["package-dir"]
    for prefix, folder in mapping.items():
        if package == prefix or package.startswith(prefix + "."):
            return ROOT / folder / Path(*package[len(prefix) :].split(".")[1:])
    return ROOT / Path(*package.split("."))


def test_every_python_package_is_listed() -> None:
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "sovtui").rglob("__init__.py")
    }
    listed = {p for p in SETUPTOOLS["packages"] if not p.startswith("sovtui._shipped")}
    assert listed == on_disk


def test_every_shipped_file_goes_into_the_wheel() -> None:
    covered: set[Path] = set()
    for package in SETUPTOOLS["packages"]:
        folder = _package_folder(package)
        assert folder.is_dir(), f"{package} maps to a missing folder {folder}"
        for pattern in SETUPTOOLS["package-data"].get(package, []):
            covered |= {
                p for p in folder.iterdir() if p.is_file() and fnmatch.fnmatch(p.name, pattern)
            }
    shipped = {
        path
        for top in ("configs", "themes", "deployments")
        for path in (ROOT / top).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert shipped - covered == set()


def test_a_missing_extra_is_named_with_its_install_line() -> None:
    assert EXTRA_FOR_MODULE["docker"] == "docker" and EXTRA_FOR_MODULE["ray"] == "local"
    message = missing_extra_message("docker.errors", "Compose clusters")
    assert message == (
        "Compose clusters needs the 'docker' extra (docker.errors is not installed): "
        "pip install 'sovtui[docker]'"
    )
