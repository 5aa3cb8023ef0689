"""The explorer's resource views, one small declaration per kind: its columns, how one poll
gets its rows from the State API (always with a limit), and what `enter` shows for a row.

The generic ResourceScreen (screens/resources.py) renders any of them; adding a view is adding
a declaration here. No Textual: rows are plain values (str, int, Rich Text for colour).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rich.text import Text

from sovtui.monitor.pending import resources_text
from sovtui.ray_api.state import StateApi, StateFilter, StateList, Summary
from sovtui.ray_api.state_models import Actor, ObjectRef, PlacementGroup, Task
from sovtui.support.formatting import human_bytes
from sovtui.support.safe_text import visible

VIEW_LIMIT = 500  # rows one poll asks for; Ray's cap is 10,000
FAILED_DETAIL_LIMIT = 50  # failed tasks fetched with detail, for their error message

STATE_STYLES = {
    "ALIVE": "green",
    "RUNNING": "bold cyan",
    "FINISHED": "green",
    "CREATED": "green",
    "DEAD": "red",
    "FAILED": "bold red",
    "REMOVED": "yellow",
    "RESTARTING": "yellow",
    "INFEASIBLE": "bold red",
    "ERROR": "bold red",
    "WARNING": "yellow",
    "HEALTHY": "green",
    "UNHEALTHY": "bold red",
}


def styled(value: str | None) -> Text:
    text = value or ""
    style = STATE_STYLES.get(text, "magenta" if text.startswith("PENDING") else "")
    return Text(visible(text), style=style)


@lru_cache(maxsize=256)
def state_cell(value: str | None) -> Text:
    """`styled`, one Text per state shared by every row in it (10,000 rows: no 10,000 Texts
    to make and for the cyclic GC to walk). Shared: never to be changed in place."""
    return styled(value)


def short(value: str | None, width: int = 8) -> str:
    return (value or "")[:width]


def one_line(text: str | None, width: int = 80) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], Any]  # the cell: str, number or Text (shown literally)
    sort: Callable[[Any], Any] | None = None  # the sort key, when not the cell's text


@dataclass
class ViewData:
    """One poll's answer: the rows, what Ray says it left out, a summary, or why it is hidden."""

    items: list[Any]
    notes: list[str] = field(default_factory=list)
    total: int | None = None  # rows that exist (for "showing N of M")
    summary: list[str] = field(default_factory=list)
    hidden: str = ""  # non-empty: the view has nothing to show, and this says why


Fetch = Callable[[StateApi], Awaitable[ViewData]]
Detail = Callable[[StateApi, Any], Awaitable[list[tuple[str, str]]]]


@dataclass(frozen=True)
class ResourceView:
    name: str  # the command (`:actors`) and mode name
    title: str
    kind: str  # the State API kind of a row ("actors"...): what actions act on
    columns: tuple[Column, ...]
    fetch: Fetch
    row_id: Callable[[Any], str]
    detail: Detail | None = None  # None: the row's own fields
    aliases: tuple[str, ...] = ()
    hint: str = ""  # one line under the title: what the view shows
    # A view whose endpoint takes no limit polls no more often than this (s); `r` still polls now.
    min_interval: float = 0.0

    def row(self, item: Any) -> tuple[Any, ...]:
        return tuple(column.value(item) for column in self.columns)

    def sort_values(self, item: Any) -> tuple[Any, ...]:
        return tuple((column.sort or column.value)(item) for column in self.columns)


EVENTS_INTERVAL_S = 30.0


def from_list(answer: StateList[Any]) -> ViewData:
    return ViewData(list(answer.items), answer.notes(), answer.matching)


# Detail: the fields of one row, fetched with detail only for the selected row ----------------


def fields_of(item: Any) -> list[tuple[str, str]]:
    dump = item.model_dump(mode="json") if hasattr(item, "model_dump") else dict(item)
    lines: list[tuple[str, str]] = []
    for key, value in dump.items():
        if value in (None, "", [], {}):
            continue
        lines.append((key, value if isinstance(value, str) else _compact(value)))
    return lines


def _compact(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)


def _time_ms(value: float | None) -> str:
    if not value:
        return ""
    return (
        time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(value / 1000)) + f".{int(value % 1000):03d}"
    )


async def actor_detail(api: StateApi, item: Actor) -> list[tuple[str, str]]:
    actor = await api.actor(item.actor_id) or item
    lines = [
        ("actor", actor.actor_id),
        ("class", actor.class_name),
        ("name", actor.name or ""),
        ("namespace", actor.ray_namespace or ""),
        ("state", actor.state),
        ("job", actor.job_id or ""),
        ("node", actor.node_id or ""),
        ("pid", "" if actor.pid is None else str(actor.pid)),
        ("restarts", "" if actor.num_restarts is None else str(actor.num_restarts)),
        ("detached", "" if actor.is_detached is None else str(actor.is_detached).lower()),
        ("required resources", resources_text(actor.required_resources)),
        ("placement group", actor.placement_group_id or ""),
        ("call site", actor.call_site or ""),
    ]
    if actor.death_cause is not None and actor.death_cause.reason:
        lines.append(("death cause", actor.death_cause.reason))
        if actor.death_cause.message:
            lines.append(("death message", actor.death_cause.message))
    return [(key, value) for key, value in lines if value]


async def task_detail(api: StateApi, item: Task) -> list[tuple[str, str]]:
    task = await api.task(item.task_id) or item
    lines = [
        ("task", task.task_id),
        ("name", task.name),
        ("function", task.func_or_class_name),
        ("type", task.type),
        ("state", task.state),
        ("attempt", str(task.attempt_number)),
        ("job", task.job_id or ""),
        ("actor", task.actor_id or ""),
        ("node", task.node_id or ""),
        ("worker pid", "" if task.worker_pid is None else str(task.worker_pid)),
        ("required resources", resources_text(task.required_resources)),
        ("placement group", task.placement_group_id or ""),
        ("error type", task.error_type or ""),
        ("error message", task.error_message or ""),
    ]
    for event in task.events:
        lines.append(("event", f"{_time_ms(event.created_ms)}  {event.state}"))
    if task.task_log_info is not None and task.task_log_info.stdout_file:
        lines.append(("stdout", task.task_log_info.stdout_file))
    if task.task_log_info is not None and task.task_log_info.stderr_file:
        lines.append(("stderr", task.task_log_info.stderr_file))
    return [(key, value) for key, value in lines if value]


async def placement_group_detail(api: StateApi, item: PlacementGroup) -> list[tuple[str, str]]:
    group = await api.placement_group(item.placement_group_id) or item
    lines = fields_of(group.model_copy(update={"bundles": []}))
    for bundle in group.bundles:
        index = bundle.bundle_id.bundle_index if bundle.bundle_id else "?"
        where = bundle.node_id or "not placed"
        lines.append((f"bundle {index}", f"{resources_text(bundle.unit_resources)} on {where}"))
    return lines


async def row_fields(_api: StateApi, item: Any) -> list[tuple[str, str]]:
    return fields_of(item)


# The views ---------------------------------------------------------------------------------


async def fetch_actors(api: StateApi) -> ViewData:
    # detail: restarts, detached and placement group are detail-only fields (~300 B a row)
    return from_list(await api.actors(limit=VIEW_LIMIT, detail=True))


def _summary_lines(summary: Summary[Any], label: Callable[[str, Any], str]) -> list[str]:
    lines = []
    for key, row in sorted(summary.rows.items()):
        counts = getattr(row, "state_counts", {})
        states = "  ".join(f"{state} {count}" for state, count in sorted(counts.items()))
        lines.append(f"{label(key, row)}: {states}")
    return lines


async def fetch_tasks(api: StateApi) -> ViewData:
    summary = await api.summary("tasks")
    live = await api.live_tasks(limit=VIEW_LIMIT)
    detailed: dict[tuple[str, int], Task] = {}
    if any(task.state == "FAILED" for task in live.items):
        failed = await api.tasks(
            [StateFilter("state", "=", "FAILED")], limit=FAILED_DETAIL_LIMIT, detail=True
        )
        detailed = {(task.task_id, task.attempt_number): task for task in failed.items}
    # A failed attempt's row is its detail row (the error message is a detail field); every
    # row stays an object of a remembered answer, the same while Ray answers the same, so an
    # unchanged poll reuses the table's rows without walking them.
    items = [
        detailed.get((task.task_id, task.attempt_number), task) if task.state == "FAILED" else task
        for task in live.items
    ]
    totals = summary.state_totals()
    header = "all tasks: " + "  ".join(f"{s} {n}" for s, n in sorted(totals.items()))
    data = ViewData(items, live.notes(), live.matching)
    data.summary = [header, *_summary_lines(summary, lambda key, _row: key)]
    return data


async def fetch_placement_groups(api: StateApi) -> ViewData:
    return from_list(await api.placement_groups(limit=VIEW_LIMIT))


async def fetch_objects(api: StateApi) -> ViewData:
    summary = await api.summary("objects")
    objects = await api.objects(limit=VIEW_LIMIT)
    data = from_list(objects)
    for site, row in sorted(summary.rows.items()):
        data.summary.append(
            f"{one_line(site, 60)}: {row.total_objects} objects, {row.total_size_mb:.1f} MB"
        )
    return data


async def fetch_workers(api: StateApi) -> ViewData:
    return from_list(await api.workers(limit=VIEW_LIMIT))


async def fetch_events(api: StateApi) -> ViewData:
    page = await api.newest_events(VIEW_LIMIT)  # only these are built of Ray's whole answer
    newest = page.events[::-1]
    notes = [f"showing {len(newest)} of {page.total}"] if len(newest) < page.total else []
    return ViewData(newest, notes, page.total)


@dataclass(frozen=True)
class ServeRow:
    key: str
    application: str
    deployment: str
    status: str
    replicas: int | None
    route: str
    message: str


async def fetch_serve(api: StateApi) -> ViewData:
    state = await api.serve()
    if not state.installed or state.details is None:
        return ViewData([], hidden=state.reason or "Serve is not running")
    rows = []
    for app_name, app in state.details.applications.items():
        rows.append(
            ServeRow(
                app_name, app_name, "", app.status, None, app.route_prefix or "", app.message or ""
            )
        )
        for name, deployment in app.deployments.items():
            rows.append(
                ServeRow(
                    f"{app_name}/{name}",
                    app_name,
                    name,
                    deployment.status,
                    len(deployment.replicas),
                    "",
                    deployment.message or "",
                )
            )
    return ViewData(rows, total=len(rows))


def _event_time(value: float | None) -> str:
    return "" if value is None else time.strftime("%H:%M:%S", time.gmtime(value))


def _bundles(group: PlacementGroup) -> str:
    placed = sum(1 for bundle in group.bundles if bundle.node_id)
    return f"{placed}/{len(group.bundles)} placed"


def _pg_state(group: PlacementGroup) -> Text:
    if group.scheduling_state == "INFEASIBLE":
        return _infeasible(group.state)
    return state_cell(group.state)


@lru_cache(maxsize=64)
def _infeasible(state: str | None) -> Text:
    return Text(f"{state} INFEASIBLE", style="bold red")  # shared: never changed in place


class Columns(dict[str, Column]):
    """A kind's columns by title, defined once for every table that shows that kind (the
    explorer's views, the Job screen's tables)."""

    def __init__(self, *columns: Column) -> None:
        super().__init__((column.title, column) for column in columns)

    def pick(self, *titles: str) -> tuple[Column, ...]:
        return tuple(self[title] for title in titles)


ACTOR_COLUMNS = Columns(
    Column("Class", lambda a: a.class_name),
    Column("Name", lambda a: one_line(a.name, 24), lambda a: a.name or ""),
    Column("Namespace", lambda a: short(a.ray_namespace, 12)),
    Column("State", lambda a: state_cell(a.state), lambda a: a.state),
    Column("Node", lambda a: short(a.node_id)),
    # Ray says pid 0 for an actor whose process does not exist yet
    Column("PID", lambda a: str(a.pid) if a.pid else "", lambda a: a.pid),
    Column("Job", lambda a: a.job_id or ""),
    Column("Restarts", lambda a: _num(a.num_restarts), lambda a: a.num_restarts),
    Column("Detached", lambda a: _yes(a.is_detached)),
    Column("Actor", lambda a: a.actor_id),
)
TASK_COLUMNS = Columns(
    Column("Function", lambda t: t.func_or_class_name),
    Column("State", lambda t: state_cell(t.state), lambda t: t.state),
    Column("Type", lambda t: t.type),
    Column("Node", lambda t: short(t.node_id)),
    Column("PID", lambda t: _num(t.worker_pid), lambda t: t.worker_pid),
    Column("Job", lambda t: t.job_id or ""),
    Column("Error", lambda t: t.error_type or ""),
    Column("Message", lambda t: one_line(t.error_message, 60)),
    Column("Attempt", lambda t: str(t.attempt_number), lambda t: t.attempt_number),
    Column("Task", lambda t: t.task_id),
)


VIEWS: dict[str, ResourceView] = {
    view.name: view
    for view in (
        ResourceView(
            "actors",
            "Actors",
            "actors",
            ACTOR_COLUMNS.pick(
                "Class",
                "Name",
                "Namespace",
                "State",
                "Node",
                "PID",
                "Job",
                "Restarts",
                "Detached",
                "Actor",
            ),
            fetch_actors,
            lambda a: a.actor_id,
            actor_detail,
            ("actor", "a"),
        ),
        ResourceView(
            "tasks",
            "Tasks",
            "tasks",
            TASK_COLUMNS.pick(
                "Function", "State", "Type", "Node", "PID", "Job", "Error", "Message", "Task"
            ),
            fetch_tasks,
            lambda t: t.task_id,
            task_detail,
            ("task", "t"),
            "live tasks (not FINISHED); the summary counts every task",
        ),
        ResourceView(
            "pg",
            "Placement groups",
            "placement_groups",
            (
                Column("Name", lambda g: g.name or ""),
                Column("State", _pg_state, lambda g: (g.state, g.scheduling_state)),
                Column("Strategy", lambda g: g.strategy or ""),
                Column("Bundles", _bundles),
                Column("Resources", lambda g: _bundle_resources(g)),
                Column("Job", lambda g: g.creator_job_id or ""),
                Column("Detached", lambda g: _yes(g.is_detached)),
                Column("Placement group", lambda g: g.placement_group_id),
            ),
            fetch_placement_groups,
            lambda g: g.placement_group_id,
            placement_group_detail,
            ("pgs", "placement_groups", "placement-groups"),
        ),
        ResourceView(
            "objects",
            "Objects",
            "objects",
            (
                Column("Object", lambda o: o.object_id),
                Column("Size", lambda o: _size(o), lambda o: o.object_size),
                Column("Reference", lambda o: o.reference_type or ""),
                Column("Task status", lambda o: o.task_status or ""),
                Column("PID", lambda o: _num(o.pid), lambda o: o.pid),
                Column("IP", lambda o: o.ip or ""),
                Column("Call site", lambda o: one_line(o.call_site, 60)),
            ),
            fetch_objects,
            lambda o: o.object_id,
            row_fields,
            ("object", "o"),
            "every poll asks every worker: polled only while shown",
        ),
        ResourceView(
            "workers",
            "Workers",
            "workers",
            (
                Column("Worker", lambda w: short(w.worker_id, 12)),
                Column("Type", lambda w: w.worker_type or ""),
                Column("Alive", lambda w: _yes(w.is_alive)),
                Column("Node", lambda w: short(w.node_id)),
                Column("IP", lambda w: w.ip or ""),
                Column("PID", lambda w: _num(w.pid), lambda w: w.pid),
                Column("Exit", lambda w: w.exit_type or ""),
            ),
            fetch_workers,
            lambda w: w.worker_id,
            row_fields,
            ("worker", "w"),
            "alive workers",
        ),
        ResourceView(
            "events",
            "Events",
            "events",
            (
                Column("Time", lambda e: _event_time(e.time), lambda e: e.time),
                Column("Severity", lambda e: state_cell(e.severity), lambda e: e.severity),
                Column("Source", lambda e: e.source),
                Column("Job", lambda e: e.job_id or ""),
                Column("Message", lambda e: one_line(e.message, 100)),
            ),
            fetch_events,
            lambda e: e.event_id or f"{e.time}:{e.source}:{e.message[:40]}",
            lambda _api, e: _events_fields(e),
            ("event", "e"),
            # Ray 2.60's /events takes no limit, page or "since": every answer is every event
            # (6.7 MB on the recorded cluster), so it is asked for seldom.
            f"cluster events, newest first; every {EVENTS_INTERVAL_S:g} s (r: now): Ray's /events "
            "has no limit",
            min_interval=EVENTS_INTERVAL_S,
        ),
        ResourceView(
            "serve",
            "Serve",
            "serve",
            (
                Column("Application", lambda r: r.application),
                Column("Deployment", lambda r: r.deployment),
                Column("Status", lambda r: styled(r.status), lambda r: r.status),
                Column("Replicas", lambda r: _num(r.replicas), lambda r: r.replicas),
                Column("Route", lambda r: r.route),
                Column("Message", lambda r: one_line(r.message, 60)),
            ),
            fetch_serve,
            lambda r: r.key,
            lambda _api, r: _events_fields(r),
            ("svc",),
        ),
    )
}


async def _events_fields(item: Any) -> list[tuple[str, str]]:
    from dataclasses import asdict

    return [
        (key, _as_text(value)) for key, value in asdict(item).items() if value not in (None, "", {})
    ]


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else _compact(value)


def _num(value: int | None) -> str:
    return "" if value is None else str(value)


def _yes(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _size(item: ObjectRef) -> str:
    size = item.known_size
    return "" if size is None else human_bytes(size)


def _bundle_resources(group: PlacementGroup) -> str:
    return one_line(", ".join(resources_text(b.unit_resources) for b in group.bundles), 40)


ALIASES: dict[str, str] = {
    **{name: name for name in VIEWS},
    **{alias: view.name for view in VIEWS.values() for alias in view.aliases},
}


def view_named(name: str) -> ResourceView | None:
    return VIEWS.get(ALIASES.get(name.lower(), ""))
