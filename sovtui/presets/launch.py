"""Preset + values -> a Ray job: validated argv, shipped workload code, metadata, resources.

Shared by `sovtui submit` and the TUI's launch form so both launch exactly the same job.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sovtui import __version__
from sovtui.presets.argv import build_argv, resolve_values
from sovtui.presets.models import ParamValue, Preset
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.jobs import JobsApi, JobSpec, new_submission_id
from sovtui.ray_api.packages import Package, build_package, ensure_package

# Unbuffered output, so the live log shows each line as the workload prints it.
DEFAULT_ENV = {"PYTHONUNBUFFERED": "1"}
META_PRESET = "sovtui.preset"
META_PARAMS = "sovtui.params"
META_VERSION = "sovtui.version"
META_PACKAGE = "sovtui.package"


@dataclass(frozen=True)
class Launched:
    submission_id: str
    job_id: str | None
    entrypoint: str
    values: dict[str, ParamValue | None]
    package: str | None  # gcs:// URI of the shipped code, None for command workloads
    uploaded: bool  # False when the cluster already had that exact package


def job_metadata(
    labels: Mapping[str, str], values: Mapping[str, Any], package_uri: str | None
) -> dict[str, str]:
    """What sovtui writes on every job it launches: what launched it (`labels`, e.g. the
    preset), the parameter values as JSON, sovtui's version and the shipped code's URI."""
    metadata = {
        **labels,
        META_PARAMS: json.dumps(dict(values), sort_keys=True),
        META_VERSION: __version__,
    }
    if package_uri is not None:
        metadata[META_PACKAGE] = package_uri
    return metadata


def job_runtime_env(
    package_uri: str | None, env_vars: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Unbuffered output plus `env_vars`; the shipped code (if any) as the working dir."""
    runtime_env: dict[str, Any] = {"env_vars": {**DEFAULT_ENV, **(env_vars or {})}}
    if package_uri is not None:
        runtime_env["working_dir"] = package_uri
    return runtime_env


async def ship_code(client: DashboardClient, package: Package | None = None) -> tuple[str, bool]:
    """Make sure the cluster has the workload package: (gcs:// URI, whether bytes were sent)."""
    package = package or build_package()
    return package.uri, await ensure_package(client, package)


def job_spec(
    preset: Preset,
    values: Mapping[str, ParamValue | None],
    *,
    package_uri: str | None = None,
    python: str = "python",
) -> JobSpec:
    """The job for already-validated values (see `argv.resolve_values`)."""
    return JobSpec(
        entrypoint=shlex.join(build_argv(preset, values, python=python)),
        metadata=job_metadata({META_PRESET: preset.name}, values, package_uri),
        runtime_env=job_runtime_env(package_uri, preset.runtime_env.env_vars),
        entrypoint_num_cpus=preset.resources.entrypoint_num_cpus,
        entrypoint_num_gpus=preset.resources.entrypoint_num_gpus,
        entrypoint_memory=preset.resources.entrypoint_memory,
    )


async def launch(
    client: DashboardClient,
    preset: Preset,
    given: Mapping[str, object] | None = None,
    *,
    jobs: JobsApi | None = None,
    package: Package | None = None,
    now: datetime | None = None,
) -> Launched:
    """Validate the values (raises `argv.ParamError`), ship the code if needed, submit."""
    values = resolve_values(preset, given or {})
    uri: str | None = None
    uploaded = False
    if preset.workload.module is not None:
        uri, uploaded = await ship_code(client, package)
    spec = job_spec(preset, values, package_uri=uri)
    submitted = await (jobs or JobsApi(client)).submit(spec, new_submission_id(preset.name, now))
    return Launched(
        submission_id=submitted.submission_id,
        job_id=submitted.job_id,
        entrypoint=spec.entrypoint,
        values=values,
        package=uri,
        uploaded=uploaded,
    )


@dataclass(frozen=True)
class LaunchInfo:
    """What sovtui wrote into a job's metadata when it launched it (empty for other jobs)."""

    preset: str | None
    params: dict[str, Any]
    package: str | None


def launch_info(metadata: Mapping[str, str] | None) -> LaunchInfo:
    metadata = metadata or {}
    try:
        params = json.loads(metadata.get(META_PARAMS, "{}"))
    except ValueError:
        params = {}
    return LaunchInfo(
        preset=metadata.get(META_PRESET),
        params=params if isinstance(params, dict) else {},
        package=metadata.get(META_PACKAGE),
    )
