"""Named contexts: the `contexts:` settings, the providers, lookup and the bounded listing."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from sovtui.cli.main import main
from sovtui.cluster import contexts
from sovtui.cluster.compose import store
from sovtui.cluster.connect import MODE_COMPOSE, attach_connection
from sovtui.cluster.contexts import (
    Context,
    UnknownContext,
    find_context,
    list_contexts,
    probe_contexts,
)
from sovtui.cluster.head_records import HeadRecord
from sovtui.settings.model import ConfigError, ContextSettings, Settings
from sovtui.settings.sources import load_settings


def saved(**contexts_: ContextSettings) -> Settings:
    return Settings(contexts=dict(contexts_))


def test_contexts_section_is_validated(tmp_path: Path) -> None:
    config = tmp_path / "sovtui.yaml"
    config.write_text(
        "contexts:\n"
        "  lab: {address: 'http://10.0.0.5:8265', via: 'me@login1:2222', token_env: LAB}\n"
    )
    settings = load_settings(user_file=config, environ={})
    assert settings.contexts == {
        "lab": ContextSettings("http://10.0.0.5:8265", via="me@login1:2222", token_env="LAB")
    }


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ("  lab: {via: login1}\n", "contexts.lab.address"),
        ("  lab: {address: x, via: '-oProxyCommand=x'}\n", "contexts.lab.via"),
        ("  'no spaces': {address: x}\n", "contexts.no spaces"),
        ("  lab: {address: x, colour: red}\n", "contexts.lab.colour"),
    ],
)
def test_bad_contexts_name_the_field(tmp_path: Path, bad: str, field: str) -> None:
    config = tmp_path / "sovtui.yaml"
    config.write_text("contexts:\n" + bad)
    with pytest.raises(ConfigError) as caught:
        load_settings(user_file=config, environ={})
    assert caught.value.field.startswith(field), caught.value


def test_environment_adds_a_context() -> None:
    settings = load_settings(
        environ={"SOVTUI_CONTEXTS__LAB__ADDRESS": "http://10.0.0.5:8265"}, user_file=None
    )
    assert settings.contexts["lab"].address == "http://10.0.0.5:8265"


def test_token_sources(tmp_path: Path) -> None:
    token_file = tmp_path / "t"
    token_file.write_text("secret-from-file\n")
    by_env = Context("a", "config", "http://h:1", token_env="LAB_TOKEN")
    assert by_env.token({"LAB_TOKEN": "s3"}).token == "s3"
    missing = by_env.token({})
    assert missing.token is None and "$LAB_TOKEN" in missing.describe_search()
    by_path = Context("b", "config", "http://h:1", token_path=str(token_file))
    assert by_path.token({}).token == "secret-from-file"
    assert "secret" not in json.dumps(by_path.to_json())
    default = Context("c", "config", "http://h:1").token({"RAY_AUTH_TOKEN": "env"})
    assert default.token == "env"


def test_providers_in_order_first_name_wins_and_failures_are_lines() -> None:
    def compose(_s: Settings) -> list[Context]:
        return [Context("lab", "compose", "http://x:1"), Context("compose:p", "compose", "u")]

    def broken(_s: Settings) -> list[Context]:
        raise OSError("state dir unreadable")

    settings = saved(lab=ContextSettings("http://10.0.0.5:8265"))
    listing = list_contexts(
        settings,
        [("config", contexts.config_contexts), ("compose", compose), ("slurm", broken)],
    )
    assert listing.names() == ["lab", "compose:p"]
    assert listing.contexts[0].kind == "config"
    assert any("already a context" in p for p in listing.problems)
    assert any(p.startswith("slurm: OSError: state dir unreadable") for p in listing.problems)


def test_a_slow_provider_cannot_hold_the_listing_up() -> None:
    release = threading.Event()

    def slow(_s: Settings) -> list[Context]:
        release.wait(30)  # squeue without slurmctld
        return []

    start = time.monotonic()
    listing = list_contexts(Settings(), [("slurm", slow)], timeout=0.3)
    release.set()
    assert time.monotonic() - start < 2
    assert listing.problems == ["slurm: no answer within 0.3 s"]


def test_register_provider_once() -> None:
    before = list(contexts.PROVIDERS)
    try:
        contexts.register_provider("slurm", lambda _s: [])
        contexts.register_provider("slurm", lambda _s: [])
        assert [name for name, _ in contexts.PROVIDERS].count("slurm") == 1
    finally:
        contexts.PROVIDERS[:] = before


def test_compose_and_kept_heads_are_contexts(monkeypatch: pytest.MonkeyPatch) -> None:
    store.ensure_token("demo")
    store.save_record(store.ClusterRecord("demo", "/x/cpu.yaml", "http://127.0.0.1:18265", 2))
    kept = HeadRecord(
        1234, "http://127.0.0.1:28265", "127.0.0.1:6379", "/tmp/x", "/tmp/x/log", "/tmp/tok", True
    )
    other = HeadRecord(1235, "http://127.0.0.1:38265", "g", "/tmp/y", "/tmp/y/l", "/tmp/t2", False)
    monkeypatch.setattr("sovtui.cluster.head_records.live_records", lambda: [kept, other])
    try:
        listing = list_contexts(Settings())
        by_name = {c.name: c for c in listing.contexts}
        assert by_name["compose:demo"].project == "demo"
        assert by_name["compose:demo"].token_path == str(store.token_path("demo"))
        assert by_name["embedded:1234"].address == "http://127.0.0.1:28265"
        assert "embedded:1235" not in by_name  # another running sovtui's head is not offered
        connection = attach_connection(Settings(), context="compose:demo")
        assert connection is not None
        assert connection.mode == MODE_COMPOSE and connection.project == "demo"
        assert connection.context == "compose:demo"
        assert connection.address == "http://127.0.0.1:18265"
    finally:
        store.forget("demo")


def test_unknown_context_names_the_known_ones() -> None:
    settings = saved(lab=ContextSettings("http://10.0.0.5:8265"))
    assert find_context(settings, "lab").address == "http://10.0.0.5:8265"
    with pytest.raises(UnknownContext, match=r"'nope'.*known: lab"):
        find_context(settings, "nope")


def test_context_wins_over_the_environment() -> None:
    settings = saved(lab=ContextSettings("http://10.0.0.5:8265"))
    connection = attach_connection(
        settings, context="lab", environ={"RAY_ADDRESS": "http://elsewhere:8265"}
    )
    assert connection is not None
    assert connection.address == "http://10.0.0.5:8265"
    assert connection.source == "context lab"
    assert connection.label == "attached: lab · http://10.0.0.5:8265"


def test_probe_is_bounded_and_says_disconnected() -> None:
    from sovtui.cluster.ports import free_port

    dead = [Context(f"d{i}", "config", f"http://127.0.0.1:{free_port()}") for i in range(4)]
    start = time.monotonic()
    health = probe_contexts(dead, Settings(), timeout=1.0)
    assert time.monotonic() - start < 3
    assert {h.state for h in health.values()} == {"disconnected"}


def test_contexts_command_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "sovtui.yaml"
    config.write_text("contexts:\n  lab: {address: 'http://127.0.0.1:1', via: login1}\n")
    assert main(["contexts", "--json", "--no-probe", "--config", str(config)]) == 0
    document = json.loads(capsys.readouterr().out)
    lab = next(c for c in document["contexts"] if c["name"] == "lab")
    assert lab["via"] == "login1"
    assert lab["state"] is None  # not probed


def test_a_slurm_cluster_with_a_dashboard_is_a_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sovtui.cluster import contexts
    from sovtui.cluster.slurm import records

    cluster = records.SlurmCluster(
        name="big",
        job_id="42",
        state="RUNNING",
        dashboard_url="http://10.0.0.5:8265",
        token_path=str(tmp_path / "token"),
        end_time=None,
        state_dir=str(tmp_path),
    )
    pending = records.SlurmCluster(**{**cluster.__dict__, "name": "later", "dashboard_url": None})
    monkeypatch.setattr(records, "list_clusters", lambda jobs=None: [cluster, pending])
    (found,) = contexts.slurm_contexts(Settings())
    assert found.name == "slurm:big" and found.kind == "slurm"
    assert found.address == "http://10.0.0.5:8265" and found.token_path == cluster.token_path
    assert "job 42, running" in found.record
