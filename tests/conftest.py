"""Shared fixtures: isolated XDG dirs, a fixed time zone, recorded Ray answers, a real Ray head,
the app factory. Helpers live in tests/support."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovtui.cluster.connect import MODE_EMBEDDED, Connection
from sovtui.cluster.embedded_head import EmbeddedHead, EmbeddedHeadError, start_embedded_head
from sovtui.ray_api.auth import explicit_token
from sovtui.ray_api.client import DashboardClient
from sovtui.settings.model import EmbeddedHeadSettings, Settings
from tests.support.app_factory import AppFactory
from tests.support.must_run import need_real
from tests.support.recorded_ray import RAY_260, RecordedRay

os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(autouse=True, scope="session")
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test reads or writes the developer's own ~/.config, ~/.local or Ray settings.

    Session-wide, so module fixtures (a Compose cluster) may point these elsewhere for a while.
    """
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        for variable, sub in (
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_STATE_HOME", "state"),
            ("XDG_DATA_HOME", "data"),
            ("XDG_CACHE_HOME", "cache"),
        ):
            monkeypatch.setenv(variable, str(home / sub))
        for variable in (
            "RAY_ADDRESS",
            "RAY_API_SERVER_ADDRESS",
            "RAY_AUTH_TOKEN",
            "RAY_AUTH_TOKEN_PATH",
        ):
            monkeypatch.delenv(variable, raising=False)
        for name in list(os.environ):
            if name.startswith("SOVTUI_") and name not in ("SOVTUI_HOME", "SOVTUI_RAY_IMAGE"):
                monkeypatch.delenv(name, raising=False)
        yield home


@pytest.fixture(autouse=True)
def isolated_history(
    isolated_dirs: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test's flight recordings in a folder of its own: every dashboard a test runs records
    its polls, and one test's recording must not show in another's plots or `sovtui history`.
    (In-process only: a sovtui run as a subprocess records under the session's XDG state dir.)
    """
    from sovtui.recorder import store

    folder = tmp_path_factory.mktemp("history")
    monkeypatch.setattr(store, "history_dir", lambda: folder)
    return folder


@pytest.fixture
def recorded_ray() -> RecordedRay:
    return RecordedRay(RAY_260)


@pytest.fixture
def app_factory(recorded_ray: RecordedRay) -> AppFactory:
    """Builds the app under test (tests/support/app_factory.py): the recorded answers by default."""
    return AppFactory(recorded_ray)


@pytest.fixture(scope="session")
def ray_head() -> Iterator[EmbeddedHead]:
    """A real Ray head for the whole session, started the way sovtui starts its embedded one."""
    try:
        head = start_embedded_head(EmbeddedHeadSettings(object_store_mb=300, start_timeout=120))
    except (EmbeddedHeadError, OSError) as error:
        need_real(f"could not start a Ray head: {error}")
        raise
    yield head
    head.stop()


@pytest.fixture
def ray_connection(ray_head: EmbeddedHead) -> Connection:
    token = explicit_token(ray_head.token, "test head")
    client = DashboardClient(ray_head.dashboard_url, token, timeout=10)
    return Connection(client, MODE_EMBEDDED, "embedded head", head=None)


@pytest.fixture
def settings() -> Settings:
    return Settings(interval=2.0)
