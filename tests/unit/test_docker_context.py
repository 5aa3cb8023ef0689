"""`docker context use` is honoured (docker-py >= 7.2), and a failure names the context tried."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from sovtui.cluster.compose.docker_client import connect, engine_location
from sovtui.cluster.errors import DockerUnavailable


def _make_context(home: Path, name: str, host: str) -> None:
    docker_dir = home / ".docker"
    meta = docker_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    endpoint = {"docker": {"Host": host, "SkipTLSVerify": False}}
    (meta / "meta.json").write_text(
        json.dumps({"Name": name, "Metadata": {}, "Endpoints": endpoint})
    )
    (docker_dir / "config.json").write_text(json.dumps({"currentContext": name}))


def test_the_current_context_is_used_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing_socket = tmp_path / "nothing-here.sock"
    _make_context(tmp_path, "remote-box", f"unix://{missing_socket}")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    assert engine_location() == f"docker context 'remote-box' (unix://{missing_socket})"
    # Even where an engine answers on the default socket, the context's endpoint is the one tried.
    with pytest.raises(DockerUnavailable, match="docker context 'remote-box'"):
        connect(timeout=2)


def test_docker_host_wins_over_the_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _make_context(tmp_path, "remote-box", "unix:///nowhere.sock")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    assert engine_location() == "DOCKER_HOST=tcp://127.0.0.1:1"
