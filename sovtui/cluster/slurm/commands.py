"""Slurm's own commands (sbatch, squeue, scontrol, scancel), run async with a deadline.

Without slurmctld, squeue and sbatch take ~9 s to fail (MessageTimeout), so they never run on the
UI thread and never without a deadline: past it the child is killed and the caller gets
SlurmUnreachable, a state to show, not a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sovtui.cluster.errors import ClusterError
from sovtui.support.safe_text import visible

DEFAULT_TIMEOUT_S = 15.0  # above Slurm's own ~9-10 s failure, so its message usually wins
# Phrases Slurm prints when slurmctld cannot be reached (22.05: "Unable to contact slurm
# controller (connect failure)", "Socket timed out on send/recv operation").
_UNREACHABLE = ("unable to contact slurm controller", "socket timed out", "connection refused")


class SlurmError(ClusterError):
    """A Slurm command failed; the message is one line naming the command."""


class SlurmMissing(SlurmError):
    """Slurm's commands are not installed here."""


class SlurmUnreachable(SlurmError):
    """slurmctld did not answer (down, wrong SLURM_CONF, network) within the deadline."""


def command_timeout(environ: Mapping[str, str] | None = None) -> float:
    """The deadline for one Slurm command: $SOVTUI_SLURM_TIMEOUT seconds, else 15."""
    value = (os.environ if environ is None else environ).get("SOVTUI_SLURM_TIMEOUT", "")
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return seconds if seconds > 0 else DEFAULT_TIMEOUT_S


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


def _where() -> str:
    conf = os.environ.get("SLURM_CONF")
    return f" (SLURM_CONF={conf})" if conf else ""


async def run(
    argv: Sequence[str], *, timeout: float | None = None, check: bool = True, stdin: str = ""
) -> Finished:
    """Run one Slurm command. `check`: a non-zero exit raises SlurmError (or SlurmUnreachable
    when the text says the controller is not there)."""
    timeout = command_timeout() if timeout is None else timeout
    program = shutil.which(argv[0])
    if program is None:
        raise SlurmMissing(f"`{argv[0]}` is not installed here: Slurm's commands are needed")
    process = await asyncio.create_subprocess_exec(
        program,
        *argv[1:],
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout)
    except TimeoutError:
        _kill(process)
        with contextlib.suppress(Exception):
            await process.wait()
        raise SlurmUnreachable(
            f"`{argv[0]}` did not answer within {timeout:g} s: is slurmctld running?{_where()}"
        ) from None
    except asyncio.CancelledError:
        _kill(process)  # the caller gave up (Ctrl-C, the TUI moved on): no orphan left behind
        raise
    finished = Finished(
        process.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")
    )
    if check and finished.returncode != 0:
        raise failure(argv[0], finished)
    return finished


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()  # our own child, by its pid


def failure(name: str, finished: Finished) -> SlurmError:
    """One line from Slurm's error text, the controller's absence told apart."""
    text = " ".join(finished.stderr.split()) or " ".join(finished.stdout.split())
    text = visible(text[:400]) or f"exit status {finished.returncode}"
    if any(phrase in text.lower() for phrase in _UNREACHABLE):
        return SlurmUnreachable(f"Slurm controller not reachable{_where()}: {name}: {text}")
    return SlurmError(f"{name} failed: {text}")
