"""Start one Ray node inside a Slurm allocation: `PYTHON node.py head|worker STATE_DIR`.

Not imported by sovtui: `slurm up` copies this file into the cluster's state dir, and the batch
script runs it with `srun` on each node, with the cluster's Python (which has Ray, not
necessarily sovtui), so it uses the standard library only. It
- picks every port free on its own node (Ray's fixed defaults collide between jobs),
- sizes memory and the object store from the allocation (Ray would take the whole machine),
- keeps Ray's temp dir in a 0700 dir of the user's (Ray makes its session dirs 0777),
- the head publishes its address, ports and session name in STATE_DIR/state.json, atomically,
- runs `ray start --block` as its child and exits with its status, after removing the temp dir.
The token reaches Ray only as RAY_AUTH_TOKEN_PATH (set by the batch script), never on a command
line, where `ps` would show it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATE_FILE = "state.json"
OBJECT_STORE_FRACTION = 0.3  # Ray's own default share, applied to the allocation
MIN_OBJECT_STORE_MB = 80  # Ray refuses less than 75 MiB
SESSION_WAIT_S = 120.0
STOP_WAIT_S = 20.0
# Set on `ray start` and so inherited by every Ray process of this node: when `ray start`
# ends, what still carries it is killed. Ray's orphans (workers, agents of a crashed head) are
# reparented away from the step, and proctrack/linuxproc can lose them for a minute.
MARKER = "SOVTUI_RAY_NODE"


def free_ports(count: int) -> list[int]:
    """Distinct ports free on this node (held together so none is handed out twice)."""
    held = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("", 0))
            held.append(sock)
        return [sock.getsockname()[1] for sock in held]
    finally:
        for sock in held:
            sock.close()


def named_ports(names: list[str]) -> dict[str, int]:
    picked = free_ports(len(names))
    return {name: picked[index] for index, name in enumerate(names)}


def node_ip() -> str:
    """The address other nodes and the login node reach this one at (Ray's own way)."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))  # no packet is sent: only picks a route
        address: str = probe.getsockname()[0]
        if not address.startswith("0."):
            return address
    return socket.gethostbyname(socket.gethostname())


def private_temp_dir(job_id: str) -> Path:
    """/tmp/sovtui-UID/sJOB-XXXX: short (Ray's Unix sockets live below it), below a 0700 dir."""
    base = Path("/tmp") / f"sovtui-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        os.mkdir(base, 0o700)
    info = os.lstat(base)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise SystemExit(f"node.py: {base} is not a directory of ours; remove it and resubmit")
    os.chmod(base, 0o700)
    reap_stale_dirs(base)
    return Path(tempfile.mkdtemp(prefix=f"s{job_id}-", dir=base))


def reap_stale_dirs(base: Path, min_age_s: float = 300.0) -> None:
    """Remove temp dirs of earlier jobs on this node that no process uses any more: Slurm's
    SIGKILL (KillWait after scancel's SIGTERM) can end node.py before it cleans up."""
    for folder in base.glob("s*-*"):
        with contextlib.suppress(OSError):
            info = os.lstat(folder)
            fresh = time.time() - info.st_mtime < min_age_s  # another job's, still starting
            if stat.S_ISDIR(info.st_mode) and not fresh and not marked_processes(str(folder)):
                shutil.rmtree(folder, ignore_errors=True)


def allocation() -> tuple[int, int, int]:
    """(CPUs, memory MiB, GPUs) this step was given on this node."""
    environ = os.environ
    cpus = int(environ.get("SLURM_CPUS_PER_TASK") or environ.get("SLURM_CPUS_ON_NODE") or 1)
    if environ.get("SLURM_MEM_PER_NODE"):
        memory = int(environ["SLURM_MEM_PER_NODE"])
    elif environ.get("SLURM_MEM_PER_CPU"):
        memory = int(environ["SLURM_MEM_PER_CPU"]) * cpus
    else:
        memory = 0  # no memory limit known: let Ray size itself
    gpus = int(environ.get("SLURM_GPUS_PER_TASK") or 0)
    return cpus, memory, gpus


def ray_command() -> list[str]:
    beside = Path(sys.executable).parent / "ray"
    if beside.exists():
        return [str(beside)]
    return [sys.executable, "-m", "ray.scripts.scripts"]


def resource_flags() -> list[str]:
    cpus, memory_mb, gpus = allocation()
    flags = [f"--num-cpus={cpus}", f"--num-gpus={gpus}"]
    if memory_mb:
        store_mb = max(MIN_OBJECT_STORE_MB, int(memory_mb * OBJECT_STORE_FRACTION))
        flags += [
            f"--object-store-memory={store_mb * 1024 * 1024}",
            f"--memory={max(memory_mb - store_mb, 1) * 1024 * 1024}",
        ]
    return flags


def write_atomically(path: Path, data: dict) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_state(state_dir: Path, job_id: str) -> dict | None:
    """This job's state file; a stale one from an earlier job of the same name is ignored."""
    try:
        data = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("job_id") == job_id else None


def head_command(temp_dir: Path, ip: str) -> tuple[list[str], dict]:
    names = ["gcs", "dashboard", "client", "agent_http", "agent_grpc", "runtime_env", "metrics"]
    names += ["node_manager", "object_manager"]
    ports = named_ports(names)
    command = [
        *ray_command(),
        "start",
        "--head",
        "--block",
        f"--node-ip-address={ip}",
        f"--port={ports['gcs']}",
        "--dashboard-host=0.0.0.0",  # the login node must reach it; token auth is always on
        f"--dashboard-port={ports['dashboard']}",
        f"--ray-client-server-port={ports['client']}",
        *worker_port_flags(ports),
        f"--temp-dir={temp_dir}",
        "--include-dashboard=true",
        "--disable-usage-stats",
        *resource_flags(),
    ]
    return command, ports


def worker_port_flags(ports: dict) -> list[str]:
    return [
        f"--dashboard-agent-listen-port={ports['agent_http']}",
        f"--dashboard-agent-grpc-port={ports['agent_grpc']}",
        f"--runtime-env-agent-port={ports['runtime_env']}",
        f"--metrics-export-port={ports['metrics']}",
        f"--node-manager-port={ports['node_manager']}",
        f"--object-manager-port={ports['object_manager']}",
    ]


def worker_command(temp_dir: Path, ip: str, head: dict) -> list[str]:
    names = ["agent_http", "agent_grpc", "runtime_env", "metrics", "node_manager"]
    names += ["object_manager"]
    ports = named_ports(names)
    return [
        *ray_command(),
        "start",
        "--block",
        f"--address={head['node_ip']}:{head['ports']['gcs']}",
        f"--node-ip-address={ip}",
        *worker_port_flags(ports),
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
        *resource_flags(),
    ]


def session_name(temp_dir: Path, child: subprocess.Popen) -> str | None:
    """The session the head created (`session_latest` points at it), once it exists."""
    deadline = time.monotonic() + SESSION_WAIT_S
    link = temp_dir / "session_latest"
    while time.monotonic() < deadline and child.poll() is None:
        with contextlib.suppress(OSError):
            return os.readlink(link).rstrip("/").rsplit("/", 1)[-1]
        time.sleep(0.2)
    return None


def end_time(job_id: str) -> int | None:
    """When Slurm will end the job, as epoch seconds (22.05 has no SLURM_JOB_END_TIME)."""
    with contextlib.suppress(OSError, ValueError, subprocess.SubprocessError):
        out = subprocess.run(
            ["squeue", "-h", "-j", job_id, "-o", "%e"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return int(time.mktime(time.strptime(out, "%Y-%m-%dT%H:%M:%S")))
    return None


def marked_processes(value: str) -> list[int]:
    needle = f"{MARKER}={value}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        with contextlib.suppress(OSError), open(f"/proc/{entry}/environ", "rb") as handle:
            if needle in handle.read().split(b"\0"):
                found.append(int(entry))
    return found


def end_leftovers(value: str, grace: float = 3.0) -> None:
    """SIGTERM what is left of this node's Ray, then SIGKILL what still runs after `grace`."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        left = marked_processes(value)
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signum)
        deadline = time.monotonic() + grace
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = marked_processes(value)
        if not left:
            return


def wait_head(state_dir: Path, job_id: str, timeout: float, head_pid: int) -> int:
    """0 once the head published this job's state; 1 if its step ended or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_state(state_dir, job_id) is not None:
            return 0
        if not Path(f"/proc/{head_pid}").exists():
            print("node.py: the head's step ended before it published its state")
            return 1
        time.sleep(0.25)
    print(f"node.py: the head did not publish {state_dir / STATE_FILE} in {timeout:g} s")
    return 1


def run_node(role: str, state_dir: Path) -> int:
    job_id = os.environ["SLURM_JOB_ID"]
    os.environ.pop("RAY_AUTH_TOKEN", None)  # Ray prefers it over the file: never inherit one
    os.environ.pop("RAY_ADDRESS", None)
    # Job entrypoints say `python`: on these nodes that must be the interpreter that has Ray.
    here = str(Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join(p for p in (here, os.environ.get("PATH")) if p)
    ip = node_ip()
    temp_dir = private_temp_dir(job_id)
    if role == "head":
        command, ports = head_command(temp_dir, ip)
    else:
        head = read_state(state_dir, job_id)
        if head is None:
            print(f"node.py: no head state for job {job_id} in {state_dir}")
            return 1
        command, ports = worker_command(temp_dir, ip, head), {}
    child = subprocess.Popen(command, env={**os.environ, MARKER: str(temp_dir)})
    # scancel sends SIGTERM to every process of the step; pass it on and wait for Ray to stop.
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda number, _frame: child.send_signal(number))
    try:
        if role == "head":
            session = session_name(temp_dir, child)
            state = {
                "job_id": job_id,
                "head_node": socket.gethostname().split(".")[0],
                "node_ip": ip,
                "ports": ports,
                "dashboard_url": f"http://{ip}:{ports['dashboard']}",
                "gcs_address": f"{ip}:{ports['gcs']}",
                "session_name": session,
                "end_time": end_time(job_id),
                "started_at": time.time(),
                "temp_dir": str(temp_dir),
            }
            if child.poll() is None:
                write_atomically(state_dir / STATE_FILE, state)
        status = child.wait()
        return 128 - status if status < 0 else status  # killed by signal N: 128+N, as a shell says
    finally:
        if child.poll() is None:
            child.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(STOP_WAIT_S)
        end_leftovers(str(temp_dir))
        shutil.rmtree(temp_dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] in ("head", "worker"):
        return run_node(argv[0], Path(argv[1]))
    if len(argv) == 4 and argv[0] == "wait-head":
        job_id = os.environ["SLURM_JOB_ID"]
        return wait_head(Path(argv[1]), job_id, float(argv[2]), int(argv[3]))
    print("usage: node.py head|worker STATE_DIR | wait-head STATE_DIR SECONDS PID", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
