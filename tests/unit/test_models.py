"""The models and the snapshot over answers recorded from a real Ray 2.60 head."""

from __future__ import annotations

import json

import pytest
from pydantic import TypeAdapter

from sovtui.ray_api.models import (
    ClusterStatusData,
    Envelope,
    JobDetails,
    NodeSummaryData,
    StateListData,
    VersionInfo,
)
from sovtui.ray_api.snapshot import build_snapshot
from tests.support.recorded_ray import RAY_260, RAY_260_V2, load


def parse_all(folder):  # type: ignore[no-untyped-def]
    version = VersionInfo.model_validate(load(folder, "version.json"))
    status = Envelope[ClusterStatusData].model_validate(load(folder, "cluster_status.json")).data
    summary = Envelope[NodeSummaryData].model_validate(load(folder, "nodes_summary.json")).data
    jobs = TypeAdapter(list[JobDetails]).validate_python(load(folder, "jobs.json"))
    return version, status, summary, jobs


def test_version_is_260() -> None:
    version, *_ = parse_all(RAY_260)
    assert version.ray_version == "2.60.0"


def test_legacy_cluster_status_gives_totals_from_load_metrics() -> None:
    version, status, nodes, jobs = parse_all(RAY_260)
    assert status.cluster_status is not None
    snapshot = build_snapshot(version, status, nodes.summary, jobs, taken_at=0)
    assert not snapshot.totals_derived
    assert snapshot.totals["CPU"].total == 2.0
    assert snapshot.totals["CPU"].used is not None
    # camelCased even for this key: objectStoreMemory -> object_store_memory
    assert snapshot.totals["object_store_memory"].total == pytest.approx(
        200 * 1024 * 1024
    )  # --object-store-memory of the recording


def test_autoscaler_v2_null_status_derives_totals_from_nodes() -> None:
    version, status, nodes, jobs = parse_all(RAY_260_V2)
    assert status.cluster_status is None
    snapshot = build_snapshot(
        version, status, nodes.summary, jobs, taken_at=0, logical=nodes.node_logical_resources
    )
    assert snapshot.totals_derived
    assert snapshot.totals["CPU"].total == 2.0
    assert snapshot.totals["CPU"].used == 0.0  # from nodeLogicalResources "0.0/2.0 CPU"
    assert snapshot.totals["memory"].used is None  # not reported in a usable form
    assert snapshot.totals["object_store_memory"].used is not None
    assert "GPU" not in snapshot.totals  # no GPUs on this machine: no empty GPU bar


def test_nodes_summary_camel_case_fields() -> None:
    _, _, nodes, _ = parse_all(RAY_260)
    (node,) = nodes.summary
    assert node.raylet.is_head_node
    assert node.raylet.state == "ALIVE"
    assert node.raylet.resources_total["CPU"] == 2.0
    assert len(node.raylet.node_id) == 56


def test_state_api_nodes_are_snake_case() -> None:
    data = Envelope[StateListData].model_validate(load(RAY_260, "v0_nodes.json")).data
    (node,) = data.result.result
    assert node.is_head_node and node.state == "ALIVE"
    assert node.resources_total["object_store_memory"] > 0


def test_jobs_recorded_success_and_failure() -> None:
    *_, jobs = parse_all(RAY_260)
    by_id = {job.submission_id: job for job in jobs}
    assert by_id["recorded-ok"].status == "SUCCEEDED"
    assert by_id["recorded-fail"].status == "FAILED"
    assert by_id["recorded-fail"].is_terminal
    assert by_id["recorded-fail"].driver_exit_code == 3


def test_unknown_fields_ignored_and_optional_fields_missing() -> None:
    body = load(RAY_260, "nodes_summary.json")
    node = body["data"]["summary"][0]
    node["a_field_from_ray_3"] = {"x": 1}
    for key in ("cpu", "mem", "gpus", "hostname"):
        node.pop(key)
    del node["raylet"]["objectStoreUsedMemory"]
    summary = Envelope[NodeSummaryData].model_validate_json(json.dumps(body)).data
    snapshot = build_snapshot(None, None, summary.summary, [], taken_at=0)
    (view,) = snapshot.nodes
    assert view.cpu_percent is None and view.memory_total is None
    assert view.object_store_used is None
    assert snapshot.to_json()["ray_version"] is None


def test_snapshot_json_shape() -> None:
    version, status, nodes, jobs = parse_all(RAY_260)
    document = build_snapshot(version, status, nodes.summary, jobs, taken_at=0).to_json()
    assert document["ray_version"] == "2.60.0"
    assert {"node_id", "state", "is_head", "resources_total"} <= set(document["nodes"][0])
    assert document["totals"]["CPU"][1] == 2.0
    assert {"submission_id", "status", "entrypoint"} <= set(document["jobs"][0])


def test_logical_use_parser() -> None:
    from sovtui.ray_api.snapshot import logical_use

    parsed = logical_use("1.5/2.0 CPU\n0B/21.11GiB memory\n1.0/4.0 GPU\n")
    assert parsed == {"CPU": 1.5, "GPU": 1.0}


async def test_incremental_summary_parse_matches_whole_parse() -> None:
    from sovtui.ray_api.summary_parse import parse_incrementally, parse_whole
    from tests.support.recorded_ray import replicated_summary

    body = replicated_summary(RAY_260, 200)
    assert len(body) > 512 * 1024  # large enough to take the incremental path
    assert await parse_incrementally(body) == parse_whole(body)
    # A layout it does not expect (keys reordered) still parses, by the whole-body path.
    document = json.loads(body)
    document["data"]["summary"] = [
        dict(reversed(list(n.items()))) for n in document["data"]["summary"]
    ]
    reordered = json.dumps(document).encode()
    assert await parse_incrementally(reordered) == parse_whole(reordered)
