"""Translate a validated Compose service into Docker SDK create arguments, with Compose labels.

The labels are the ones Compose itself sets, so `docker-compose -p PROJECT ps` lists what sovtui
started, plus sovtui.managed (what `down` may remove) and sovtui.run (what one `up` created,
so a failed or interrupted `up` removes exactly that).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docker
import docker.types

from sovtui.cluster.compose.compose_model import ComposeFile, Network, Service

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
NUMBER = "com.docker.compose.container-number"
ONEOFF = "com.docker.compose.oneoff"
NETWORK = "com.docker.compose.network"
CONFIG_FILES = "com.docker.compose.project.config_files"
WORKING_DIR = "com.docker.compose.project.working_dir"
MANAGED = "sovtui.managed"
RUN = "sovtui.run"
DASHBOARD_PORT = 8265


def network_names(service: Service) -> list[str]:
    return list(service.networks) or ["default"]


def network_full_name(project: str, name: str, network: Network | None) -> str:
    return network.name if network and network.name else f"{project}_{name}"


def container_name(project: str, service: str, number: int) -> str:
    return f"{project}-{service}-{number}"


def container_labels(
    project: str, service_name: str, service: Service, number: int, run_id: str, compose_file: Path
) -> dict[str, str]:
    labels = {key: value or "" for key, value in service.labels.items()}
    labels.update(
        {
            PROJECT: project,
            SERVICE: service_name,
            NUMBER: str(number),
            ONEOFF: "False",
            CONFIG_FILES: str(compose_file),
            WORKING_DIR: str(compose_file.parent),
            MANAGED: "1",
            RUN: run_id,
        }
    )
    return labels


def _device_requests(service: Service) -> list[docker.types.DeviceRequest]:
    requests = []
    for device in service.deploy.resources.reservations.devices:
        count = -1 if device.count == "all" else device.count
        requests.append(
            docker.types.DeviceRequest(
                driver=device.driver or "",
                count=count if device.device_ids is None else None,
                device_ids=device.device_ids,
                capabilities=[device.capabilities] if device.capabilities else [],
                options=device.options,
            )
        )
    return requests


def create_kwargs(
    client: docker.DockerClient,
    spec: ComposeFile,
    project: str,
    service_name: str,
    number: int,
    run_id: str,
    compose_file: Path,
) -> dict[str, Any]:
    """Arguments for `client.api.create_container`; attaches the service's first network."""
    service = spec.services[service_name]
    limits = service.deploy.resources.limits
    ports = {
        f"{p.container_port}/{p.protocol}": (p.host_ip, p.host_port)
        if p.host_port
        else (p.host_ip,)
        for p in service.ports
    }
    host_config = client.api.create_host_config(
        port_bindings=ports or None,
        shm_size=service.shm_size,
        mem_limit=limits.memory,
        # Docker takes fractional CPUs; Ray later truncates them (documented in the files).
        nano_cpus=int(limits.cpus * 1e9) if limits.cpus else None,
        device_requests=_device_requests(service) or None,
        restart_policy={"Name": service.restart} if service.restart else None,
    )
    first = network_names(service)[0]
    options = service.networks.get(first)
    endpoint = client.api.create_endpoint_config(
        aliases=[service_name, *(options.aliases if options else [])],
        ipv4_address=str(options.ipv4_address) if options and options.ipv4_address else None,
    )
    net_name = network_full_name(project, first, spec.networks.get(first))
    return {
        "image": service.image,
        "command": service.command,
        "entrypoint": service.entrypoint,
        "name": container_name(project, service_name, number),
        "hostname": service.hostname,
        "environment": {k: v for k, v in service.environment.items() if v is not None},
        "labels": container_labels(project, service_name, service, number, run_id, compose_file),
        "ports": [(p.container_port, p.protocol) for p in service.ports] or None,
        "host_config": host_config,
        "networking_config": client.api.create_networking_config({net_name: endpoint}),
    }


def network_kwargs(project: str, name: str, network: Network | None, run_id: str) -> dict[str, Any]:
    """Arguments for `client.networks.create`, labelled like Compose labels its networks."""
    network = network or Network()
    ipam = None
    if network.ipam and network.ipam.config:
        pools = [
            docker.types.IPAMPool(
                subnet=str(c.subnet),
                gateway=str(c.gateway) if c.gateway else None,
                iprange=str(c.ip_range) if c.ip_range else None,
            )
            for c in network.ipam.config
        ]
        ipam = docker.types.IPAMConfig(driver=network.ipam.driver or "default", pool_configs=pools)
    labels = {key: value or "" for key, value in network.labels.items()}
    labels.update({PROJECT: project, NETWORK: name, MANAGED: "1", RUN: run_id})
    return {
        "name": network_full_name(project, name, network),
        "driver": network.driver,
        "ipam": ipam,
        "internal": network.internal,
        "attachable": network.attachable,
        "labels": labels,
        "check_duplicate": True,
    }
