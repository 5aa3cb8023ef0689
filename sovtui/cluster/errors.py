"""Errors of the cluster layer. Each message is one line a user can act on."""

from __future__ import annotations


class ClusterError(Exception):
    """A cluster operation failed at run time (exit code 1 in the CLI)."""


class ComposeError(ClusterError):
    """A Compose file is unusable; the message names the file and the key or line."""

    def __init__(self, file: str, where: str, reason: str) -> None:
        self.file = file
        self.where = where
        self.reason = reason
        location = f" at {where}" if where else ""
        super().__init__(f"{file}{location}: {reason}")


class DockerUnavailable(ClusterError):
    """No Docker engine answered where we looked."""


class PortInUse(ClusterError):
    """A port the cluster publishes is already taken on the host."""


class BadTarget(ClusterError):
    """The cluster was named in a way sovtui cannot use (an unknown context, a bad --via):
    bad input, exit code 2 in the CLI."""
