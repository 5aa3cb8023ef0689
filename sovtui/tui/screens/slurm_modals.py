"""Modals of the Clusters screen's Slurm part: the `slurm up` form and a read-only file viewer
(the batch script, the job's Slurm output)."""

from __future__ import annotations

import os
import sys
from collections.abc import Collection
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Log, Static

from sovtui.cluster.slurm.script import SlurmRequest
from sovtui.support.safe_text import visible
from sovtui.tui.widgets.plain import plain

# (field, label, initial text, hint)
UP_FIELDS = (
    ("name", "Name", "", "cluster name: lowercase letters, digits, - and _"),
    ("nodes", "Nodes", "1", "1 or more"),
    ("time", "Time", "2:00:00", "minutes, H:MM:SS or D-HH:MM:SS"),
    ("partition", "Partition", "", "empty: the site's default"),
    ("cpus", "CPUs/node", "", "empty: what Slurm gives"),
    ("gpus", "GPUs/node", "", "empty or 0: none"),
)
VIEW_LIMIT = 256 * 1024  # the last 256 KiB of a file: an output can grow large


def _count(text: str, what: str, least: int) -> tuple[int | None, str | None]:
    text = text.strip()
    if not text:
        return None, None
    if not text.isdigit():
        return None, f"{what}: a whole number"
    number = int(text)
    if number < least:
        return None, f"{what}: {least} or more"
    return number, None


def check_up_form(
    values: dict[str, str],
    taken: Collection[str] = frozenset(),
    python: str = sys.executable,
) -> tuple[SlurmRequest | None, dict[str, str]]:
    """(the request, {}) when every field is valid; else (None, {field: problem})."""
    errors: dict[str, str] = {}
    name = values.get("name", "").strip() or "ray"
    nodes_text = values.get("nodes", "").strip()
    nodes, problem = _count(nodes_text or "?", "nodes", 1)
    if problem:
        errors["nodes"] = problem
    cpus, problem = _count(values.get("cpus", ""), "CPUs per node", 1)
    if problem:
        errors["cpus"] = problem
    gpus, problem = _count(values.get("gpus", ""), "GPUs per node", 0)
    if problem:
        errors["gpus"] = problem
    if name in taken:
        errors["name"] = f"{name} is running already: pick another name"
    request = SlurmRequest(
        name=name,
        python=python,
        nodes=nodes or 1,
        time=values.get("time", "").strip() or "?",
        partition=values.get("partition", "").strip() or None,
        cpus_per_node=cpus,
        gpus_per_node=gpus or None,
        pythonpath=os.environ.get("PYTHONPATH") or None,
    )
    for line in request.problems():
        key = next(
            (k for k in ("name", "time", "partition") if f" {k}" in line or line.startswith(k)),
            "form",
        )
        errors.setdefault(key, line)
    return (None, errors) if errors else (request, {})


class SlurmUpForm(ModalScreen[SlurmRequest | None]):
    """Nodes, time, partition, CPUs and GPUs per node, checked as you type; enter submits."""

    CSS_PATH = "clusters.tcss"
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit", tooltip="Submit the job when every field is valid"),
        Binding("escape", "cancel", "Cancel", tooltip="Close the form without submitting"),
    ]

    def __init__(self, taken: set[str] | None = None) -> None:
        super().__init__()
        self.taken = taken or set()
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="slurm-form", classes="modal-box") as box:
            box.border_title = "Ray cluster in a Slurm job"
            box.border_subtitle = "enter submit · tab next · esc cancel"
            for key, label, initial, _hint in UP_FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(initial, placeholder="ray" if key == "name" else "", id=f"up-{key}")
                yield Static(id=f"up-hint-{key}", classes="form-help")
            yield Static(id="up-form-problem", classes="form-help")

    def on_mount(self) -> None:
        self._validate()
        self.query_one("#up-nodes", Input).focus()

    def values(self) -> dict[str, str]:
        return {key: self.query_one(f"#up-{key}", Input).value for key, *_ in UP_FIELDS}

    def _validate(self) -> SlurmRequest | None:
        request, self.errors = check_up_form(self.values(), self.taken)
        for key, _label, _initial, hint in UP_FIELDS:
            error = self.errors.get(key)
            self.query_one(f"#up-{key}", Input).set_class(error is not None, "-invalid")
            line = self.query_one(f"#up-hint-{key}", Static)
            line.set_class(error is not None, "-error")
            line.update(plain(f"✗ {error}") if error else plain(hint, "dim"))
        self.query_one("#up-form-problem", Static).update(plain(self.errors.get("form", "")))
        return request

    @on(Input.Changed)
    def _changed(self) -> None:
        self._validate()

    @on(Input.Submitted)
    def action_submit(self) -> None:
        request = self._validate()
        if request is None:
            first = next((k for k, *_ in UP_FIELDS if k in self.errors), None)
            if first is not None:
                self.query_one(f"#up-{first}", Input).focus()
            return
        self.dismiss(request)

    def action_cancel(self) -> None:
        self.dismiss(None)


def read_tail(path: Path, limit: int = VIEW_LIMIT) -> list[str]:
    """The file's last `limit` bytes as visible lines (job output is the cluster's text)."""
    with path.open("rb") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - limit))
        data = file.read()
    lines = data.decode("utf-8", errors="replace").splitlines()
    if size > limit and lines:
        lines[0] = f"… (the first {size - limit} bytes are not shown)"
    return [visible(line) for line in lines]


class FileViewer(ModalScreen[None]):
    """One file of a cluster's state dir, read-only; r reads it again."""

    CSS_PATH = "clusters.tcss"
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", tooltip="Close the viewer"),
        Binding("r", "reload", "Reload", tooltip="Read the file again"),
    ]

    class Read(Message):
        def __init__(self, lines: list[str], error: str | None = None) -> None:
            super().__init__()
            self.lines = lines
            self.error = error

    def __init__(self, title: str, path: Path) -> None:
        super().__init__()
        self.title_text = title
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="file-box", classes="modal-box"):
            yield Log(id="file-text", highlight=False)
            yield Static(plain(f"{self.path} · r reload · esc close"), classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one(Log).border_title = plain(self.title_text)
        self.action_reload()

    def action_reload(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _read(self) -> None:
        try:
            self.post_message(self.Read(read_tail(self.path)))
        except OSError as error:
            self.post_message(self.Read([], f"cannot read {self.path}: {error.strerror or error}"))

    @on(Read)
    def _show(self, message: Read) -> None:
        log = self.query_one(Log)
        log.clear()
        if message.error:
            log.write_line(visible(message.error))
            return
        log.write_lines(message.lines or ["(empty)"])
        log.scroll_end(animate=False)
