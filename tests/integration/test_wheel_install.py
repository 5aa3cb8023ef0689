"""The wheel is a complete sovtui: built here, installed with its base dependencies into a fresh
venv outside the checkout, and run from a folder that has no checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sovtui.cluster.embedded_head import EmbeddedHead
from sovtui.support.locations import project_root

pytestmark = pytest.mark.ray

CHECKOUT = project_root()


@dataclass
class Installed:
    bin: Path
    workdir: Path
    env: dict[str, str]

    def run(
        self, *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "sovtui"), *args],
            cwd=self.workdir,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )


def _clean_env(home: Path) -> dict[str, str]:
    """No PYTHONPATH, no checkout on the path, private XDG folders."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SOVTUI_HOME")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel")
    env = _clean_env(root / "home")
    dist = root / "dist"
    # The build and the install reach the package index (or pip's cache), like a user's would.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(CHECKOUT)],
        check=True,
        env=env,
        cwd=root,
        timeout=600,
    )
    (wheel,) = dist.glob("sovtui-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        env=env,
        cwd=root,
        timeout=600,
    )
    workdir = root / "elsewhere"
    workdir.mkdir()
    yield Installed(venv / "bin", workdir, env)


def test_version_comes_from_the_package(installed: Installed) -> None:
    from sovtui import __version__

    result = installed.run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sovtui {__version__}"


def test_every_shipped_preset_is_installed(installed: Installed) -> None:
    result = installed.run("presets", "--json")
    assert result.returncode == 0, result.stderr
    names = {preset["name"] for preset in json.loads(result.stdout)}
    shipped = {path.stem for path in (CHECKOUT / "configs" / "presets").glob("*.yaml")}
    assert len(names) == len(shipped) > 0


def test_shipped_themes_and_compose_files_are_installed(installed: Installed) -> None:
    probe = textwrap.dedent(
        """
        import json
        from sovtui.support import locations
        from sovtui.tui.themes import load_themes

        loaded = load_themes()
        deployments = locations.deployments_dir()
        print(json.dumps({
            "themes": sorted(loaded.themes),
            "failures": len(loaded.failures),
            "root": str(locations.project_root()),
            "compose": sorted(p.name for p in (deployments / "compose").glob("*.yaml")),
            "dockerfile": (deployments / "image" / "Dockerfile").is_file(),
            "defaults": locations.shipped_config_file().is_file(),
        }))
        """
    )
    result = subprocess.run(
        [str(installed.bin / "python"), "-c", probe],
        cwd=installed.workdir,
        env=installed.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert "site-packages" in found["root"], found["root"]  # not the checkout
    shipped_themes = {p.stem for p in (CHECKOUT / "themes").glob("*.yaml")}
    assert shipped_themes <= set(found["themes"]) and found["failures"] == 0
    assert found["compose"] == sorted(
        p.name for p in (CHECKOUT / "deployments/compose").glob("*.yaml")
    )
    assert found["dockerfile"] and found["defaults"]


def test_status_against_a_real_head(installed: Installed, ray_head: EmbeddedHead) -> None:
    result = installed.run(
        "status",
        "--json",
        "--address",
        ray_head.dashboard_url,
        extra_env={"RAY_AUTH_TOKEN": ray_head.token},
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["nodes"] and document["ray_version"]


def test_compose_without_the_docker_extra_says_which_extra(installed: Installed) -> None:
    result = installed.run("up", "cpu-ray-cluster.yaml")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "sovtui[docker]" in lines[0] and "Traceback" not in result.stderr


def test_embedded_head_without_the_local_extra_says_which_extra(installed: Installed) -> None:
    result = installed.run("bench", "sort", "--keys", "1000")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert "sovtui[local]" in result.stderr, result.stderr
