"""Cluster state: the token is private (0600) and never in the JSON record."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sovtui.cluster import store


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))


def test_token_is_private_and_stable() -> None:
    token, created = store.ensure_token("p1")
    assert created and len(token) >= 32
    mode = stat.S_IMODE(store.token_path("p1").stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(store.cluster_dir("p1").stat().st_mode) == 0o700
    assert store.ensure_token("p1") == (token, False)


def test_record_round_trip_without_token() -> None:
    token, _ = store.ensure_token("p2")
    record = store.ClusterRecord("p2", "/f.yaml", "http://127.0.0.1:8265", 2, {"A": "1"})
    store.save_record(record)
    assert store.load_record("p2") == record
    assert token not in (store.cluster_dir("p2") / store.RECORD_FILE).read_text()
    store.forget("p2")
    assert store.load_record("p2") is None and store.read_token("p2") is None


@pytest.mark.parametrize("name", ["Upper", "-x", "a b", ""])
def test_bad_project_names(name: str) -> None:
    assert store.project_name_problem(name)
