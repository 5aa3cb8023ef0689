"""What ssh's stderr means, as one line a user can act on (exit_code: Popen's, negative for a
signal)."""

from __future__ import annotations

import re

from sovtui.cluster.ssh.via import Via

_BUSY = re.compile(r"bind \[?[^\]]*\]?:(\d+): Address already in use")
_NOISE = (
    "Warning: Permanently added",
    "Pseudo-terminal will not be allocated",
)


def last_lines(stderr: str, count: int = 3) -> str:
    """ssh's own last words, one line: what to show when nothing below matched."""
    lines = [
        " ".join(line.split())
        for line in stderr.splitlines()
        if line.strip() and not line.startswith(_NOISE)
    ]
    return "; ".join(lines[-count:])[:400]


def busy_port(stderr: str) -> int | None:
    """The local port ssh could not listen on (ExitOnForwardFailure made it exit)."""
    found = _BUSY.search(stderr)
    return int(found.group(1)) if found else None


def explain(stderr: str, via: Via, exit_code: int | None) -> str:
    """One line: why the tunnel through `via` did not come up, and how to fix it."""
    port = busy_port(stderr)
    if port is not None:
        return (
            f"local port 127.0.0.1:{port} is busy (another program listens there): "
            "pick another with --local-port (or a context's local_port), or leave it unset "
            "for any free port"
        )
    if "Permission denied" in stderr:
        methods = re.search(r"Permission denied \(([^)]*)\)", stderr)
        how = f" ({methods.group(1)})" if methods else ""
        return (
            f"ssh to {via} refused the key{how}: sovtui never asks for a password (BatchMode); "
            f"load your key into the agent (ssh-add ~/.ssh/KEY) or name it in ~/.ssh/config "
            f"(IdentityFile), make sure the server has it in authorized_keys, then check with "
            f"`ssh {via.destination} true`"
        )
    if "Host key verification failed" in stderr or "host key" in stderr.lower():
        return (
            f"ssh to {via} stopped at the host key (unknown or changed): run "
            f"`ssh {via.destination} true` once in a terminal to check and accept it "
            "(sovtui never answers ssh's questions)"
        )
    if "Could not resolve hostname" in stderr:
        return (
            f"ssh cannot resolve {via.host}: check the name or add a Host entry for it to "
            "~/.ssh/config"
        )
    if "Connection refused" in stderr and "channel" not in stderr:
        return f"ssh to {via}: nothing accepts SSH connections there (connection refused)"
    if "timed out" in stderr.lower():
        return f"ssh to {via} timed out: the host or its ProxyJump does not answer"
    if "Could not request local forwarding" in stderr:
        return f"ssh to {via} could not open the local forward: {last_lines(stderr)}"
    said = last_lines(stderr)
    code = ""
    if exit_code is not None:
        code = f" (exit {exit_code})" if exit_code >= 0 else f" (signal {-exit_code})"
    return f"ssh to {via} ended{code}" + (f": {said}" if said else "")
