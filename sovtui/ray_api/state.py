"""Ray 2.60's State API and its neighbours, for the explorer: actors, tasks, placement groups,
objects, workers, nodes, jobs, summaries, events, Serve, node log files and log content.

Facts this module is built on (verified against a live 2.60 head; see DESIGN.md):

- Every list goes out with a `limit` (Ray's maximum is 10,000; more is a 400). The envelope
  `data.result.{total, num_after_truncation, num_filtered, result, partial_failure_warning,
  warnings}` is parsed once into a `StateList`, which says what was cut: `showing N of M`.
- Filters need all three of `filter_keys`, `filter_predicates`, `filter_values` (Ray silently
  ignores keys without predicates), and only `=` / `!=` exist.
- Live tasks are asked for with `state != FINISHED` (pushed down to the GCS): unfiltered, the
  data source drops live tasks past its 10,000 cap without a word.
- `/api/v0/cluster_events` answers 500 once any worker has crashed; `/events` is used instead and
  its mixed timestamps (strings and numbers) are normalised.
- `/api/serve/applications/` is 501 without ray[serve] on the head: a state, not an error.
- Failures come as JSON (`{"result": false, "msg": ...}`, 400), as plain text (500: "A file is
  not found at ..."), or as aiohttp's generic "500 Internal Server Error / Server got itself in
  trouble": each becomes one DashboardRejected line.

Requests ask for gzip (DashboardClient.request), decoded within the size caps, which count the
decoded bytes; the log streams ask for `identity` (the client's default) and are read raw.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from sovtui.ray_api.answer_memo import AnswerMemo
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.errors import (
    DashboardBadResponse,
    DashboardRejected,
    DashboardTimeout,
    DashboardUnauthorized,
    DashboardUnreachable,
    bad_answer,
)
from sovtui.ray_api.events_parse import event_groups, event_time, newest, newest_by_pattern
from sovtui.ray_api.list_parse import SLICE_BYTES, sliced
from sovtui.ray_api.state_models import (
    Actor,
    ActorSummaryRow,
    ClusterSummary,
    EventsEnvelope,
    LogListingEnvelope,
    Node,
    ObjectRef,
    ObjectSummaryRow,
    PlacementGroup,
    RawEvent,
    Row,
    ServeDetails,
    StateEnvelope,
    StateJob,
    SummaryByNode,
    Task,
    TaskSummaryRow,
    Worker,
)
from sovtui.support.gc_pause import gc_paused

if TYPE_CHECKING:
    import httpx

ItemT = TypeVar("ItemT", bound=Row)  # a list row: a pydantic dataclass of state_models
SummaryT = TypeVar("SummaryT", bound=BaseModel)

MAX_LIMIT = 10_000  # Ray's own cap for one State API answer
DEFAULT_LIMIT = 100
LOG_FILE_MAX_BYTES = 8 * 1024 * 1024  # one log file's content, as shown or printed
LOG_FILE_TIMEOUT_S = 30.0

PREDICATES = ("!=", "=")  # longest first: `a!=b` is not `a!` = `b`


@dataclass(frozen=True)
class Kind:
    """One listable resource: its path, its model, and the key that names a row."""

    name: str
    path: str
    model: type[Any]
    id_field: str
    aliases: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("actors", "/api/v0/actors", Actor, "actor_id"),
        Kind("tasks", "/api/v0/tasks", Task, "task_id"),
        Kind(
            "placement_groups",
            "/api/v0/placement_groups",
            PlacementGroup,
            "placement_group_id",
            ("pgs", "pg", "placement-groups"),
        ),
        Kind("objects", "/api/v0/objects", ObjectRef, "object_id"),
        Kind("workers", "/api/v0/workers", Worker, "worker_id"),
        Kind("nodes", "/api/v0/nodes", Node, "node_id"),
        Kind("jobs", "/api/v0/jobs", StateJob, "job_id"),
    )
}
KIND_ALIASES: dict[str, str] = {
    **{name: name for name in KINDS},
    **{alias: kind.name for kind in KINDS.values() for alias in kind.aliases},
}


def kind_named(name: str) -> Kind:
    try:
        return KINDS[KIND_ALIASES[name]]
    except KeyError:
        known = ", ".join(sorted(KIND_ALIASES))
        raise ValueError(f"unknown resource {name!r} (known: {known})") from None


# Filters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateFilter:
    key: str
    predicate: str  # "=" or "!="
    value: str

    def __str__(self) -> str:
        return f"{self.key}{self.predicate}{self.value}"


_FILTER_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def parse_filter(text: str) -> StateFilter:
    """`state=ALIVE` / `state!=FINISHED` -> StateFilter; ValueError names what is wrong."""
    for predicate in PREDICATES:
        key, found, value = text.partition(predicate)
        if found:
            key = key.strip()
            if not _FILTER_KEY.match(key):
                raise ValueError(f"bad filter {text!r}: the key must be a field name")
            return StateFilter(key, predicate, value.strip())
    raise ValueError(f"bad filter {text!r}: expected KEY=VALUE or KEY!=VALUE")


def filter_params(filters: Iterable[StateFilter]) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    for item in filters:
        params += [
            ("filter_keys", item.key),
            ("filter_predicates", item.predicate),
            ("filter_values", item.value),
        ]
    return params


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT} (Ray's cap), not {limit}")
    return limit


# Answers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateList(Generic[ItemT]):
    """One list answer, with what Ray says it left out."""

    items: list[ItemT]
    total: int  # Ray's `total`: unfiltered for most kinds, GCS-filtered for tasks
    num_after_truncation: int | None
    num_filtered: int | None
    limit: int
    partial_failure_warning: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def matching(self) -> int:
        """How many rows match the filters (as far as the data source kept them)."""
        if self.num_filtered is not None:
            return max(self.num_filtered, len(self.items))
        return max(self.total, len(self.items))

    @property
    def truncated(self) -> bool:
        """The limit cut the answer: fewer rows came back than match."""
        return len(self.items) < self.matching

    @property
    def source_truncated(self) -> bool:
        """Ray's data source dropped rows before filtering (its 10,000 cap)."""
        kept = self.num_after_truncation
        return kept is not None and kept < self.total

    def notes(self) -> list[str]:
        """Lines to show under the table: truncation, partial failures, Ray's warnings."""
        notes: list[str] = []
        if self.truncated:
            notes.append(
                f"showing {len(self.items)} of {self.matching} (limit {self.limit}; "
                "raise --limit or filter)"
            )
        if self.source_truncated:
            notes.append(
                f"the cluster's data source kept only {self.num_after_truncation} of "
                f"{self.total}: some rows are missing whatever the limit"
            )
        if self.partial_failure_warning:
            notes.append(" ".join(self.partial_failure_warning.split()))
        notes += [" ".join(w.split()) for w in self.warnings]
        return notes

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "num_after_truncation": self.num_after_truncation,
            "num_filtered": self.num_filtered,
            "shown": len(self.items),
            "limit": self.limit,
            "truncated": self.truncated,
            "notes": self.notes(),
            "result": [item.model_dump(mode="json") for item in self.items],
        }


@dataclass(frozen=True)
class Summary(Generic[SummaryT]):
    """A `/summarize` answer: rows by function, class or call site, with the cluster totals."""

    rows: dict[str, SummaryT]
    cluster: ClusterSummary[SummaryT]
    total: int
    warnings: tuple[str, ...] = ()

    def state_totals(self) -> dict[str, int]:
        """Counts per state over every row (tasks and actors)."""
        totals: dict[str, int] = {}
        for row in self.rows.values():
            for state, count in getattr(row, "state_counts", {}).items():
                totals[state] = totals.get(state, 0) + int(count)
        return totals

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "summary": {key: row.model_dump(mode="json") for key, row in self.rows.items()},
            "cluster": self.cluster.model_dump(mode="json", exclude={"summary"}),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ClusterEvent:
    """One `/events` entry with a float timestamp (seconds) and one spelling for every key."""

    time: float | None
    severity: str
    source: str
    message: str
    job_id: str | None
    host: str | None = None
    pid: str | None = None
    label: str | None = None
    event_id: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "severity": self.severity,
            "source": self.source,
            "message": self.message,
            "job_id": self.job_id,
            "host": self.host,
            "pid": self.pid,
            "label": self.label,
            "event_id": self.event_id,
            "custom_fields": self.custom_fields,
        }


@dataclass(frozen=True)
class EventPage:
    """The newest events of an `/events` answer, oldest first, and how many it held."""

    events: list[ClusterEvent]
    total: int


@dataclass(frozen=True)
class ServeState:
    """Serve on the head: `installed` False (with `reason`) when the head has no ray[serve]."""

    installed: bool
    details: ServeDetails | None = None
    reason: str = ""


def normalise_events(groups: dict[str, list[RawEvent]]) -> list[ClusterEvent]:
    """`/events`' groups ("global" and one per job id) -> one list, oldest first."""
    events: list[ClusterEvent] = []
    for group, raw_events in groups.items():
        job_id = None if group == "global" else group
        for raw in raw_events:
            events.append(
                ClusterEvent(
                    time=event_time(raw.timestamp),
                    severity=(raw.severity or "INFO").upper(),
                    source=raw.source_type or "",
                    message=raw.message,
                    job_id=job_id or raw.custom_fields.get("jobId"),
                    host=raw.host,
                    pid=None if raw.pid is None else str(raw.pid),
                    label=raw.label or None,
                    event_id=raw.event_id,
                    custom_fields=raw.custom_fields,
                )
            )
    return _sorted_events(events)


def _sorted_events(events: list[ClusterEvent]) -> list[ClusterEvent]:
    events.sort(key=lambda event: (event.time is None, event.time or 0.0))
    return events


def _first(raw: dict[str, Any], names: tuple[str, ...], kinds: tuple[type, ...]) -> Any:
    """The first of `names` present (RawEvent's AliasChoices), checked to be of `kinds`."""
    for name in names:
        if name in raw:
            value = raw[name]
            if value is not None and (type(value) not in kinds):
                raise TypeError(f"{name} is {type(value).__name__}")
            return value
    return None


def plain_event(raw: dict[str, Any], group_job: str | None) -> ClusterEvent:
    """What `normalise_events` makes of one RawEvent, read from the decoded dict directly
    (~3x quicker than through the model); TypeError where the model would coerce or refuse."""
    custom = _first(raw, ("customFields", "custom_fields"), (dict,)) or {}
    pid = _first(raw, ("sourcePid", "pid", "source_pid"), (str, int))
    message = _first(raw, ("message",), (str,))
    if message is None and "message" in raw:
        raise TypeError("message is null")  # the model refuses it: let it say so
    return ClusterEvent(
        time=event_time(_first(raw, ("timestamp",), (str, float, int))),
        severity=(_first(raw, ("severity",), (str,)) or "INFO").upper(),
        source=_first(raw, ("sourceType", "source_type"), (str,)) or "",
        message="" if message is None else message,
        job_id=group_job or custom.get("jobId"),
        host=_first(raw, ("sourceHostname", "hostName", "host_name"), (str,)),
        pid=None if pid is None else str(pid),
        label=_first(raw, ("label",), (str,)) or None,
        event_id=_first(raw, ("eventId", "event_id"), (str,)),
        custom_fields=custom,
    )


# Error shapes -> one line ---------------------------------------------------------------------

GENERIC_500 = "Server got itself in trouble"


def error_reason(body: str) -> str:
    """What a failed State API answer says, in one line: the JSON `msg`, or the text."""
    text = body.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict) and document.get("msg"):
            text = str(document["msg"])
    if GENERIC_500 in text:
        return "the dashboard failed internally and gave no reason (see its dashboard log)"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # pydantic's validation messages: the "Value error, ..." line is the one that explains.
    for line in lines:
        if line.startswith("Value error,"):
            return line.removeprefix("Value error,").split("[type=")[0].strip()[:300]
    return " ".join(" ".join(lines).split())[:300] or "(no reason given)"


def refusal(what: str, url: str, status: int, body: str) -> DashboardRejected:
    return DashboardRejected(
        f"{what}: {error_reason(body)} (HTTP {status} from {url})", status, body
    )


def _clean_url(client: DashboardClient, path: str) -> str:
    return f"{client.address}{path}"


# The API --------------------------------------------------------------------------------------


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}
_ROW_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _list_adapter(model: type[ItemT]) -> TypeAdapter[StateEnvelope[list[ItemT]]]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = TypeAdapter(StateEnvelope[list[model]])  # type: ignore[valid-type]
        _ADAPTERS[model] = adapter
    return adapter


def _rows_adapter(model: type[ItemT]) -> TypeAdapter[list[ItemT]]:
    adapter = _ROW_ADAPTERS.get(model)
    if adapter is None:
        adapter = TypeAdapter(list[model])  # type: ignore[valid-type]
        _ROW_ADAPTERS[model] = adapter
    return adapter


def _validated_list(
    model: type[ItemT], content: bytes
) -> tuple[StateEnvelope[list[ItemT]], list[ItemT]]:
    """The envelope and every row: in slices when the body is big (see list_parse)."""
    adapter = _list_adapter(model)
    if len(content) <= SLICE_BYTES:
        envelope = adapter.validate_json(content)
        return envelope, envelope.data.result.result
    with gc_paused():
        try:
            cut = sliced(_rows_adapter(model), adapter, content)
        except ValidationError:
            cut = None  # a cut inside a row, or a bad answer: the whole parse says which
        if cut is None:
            envelope = adapter.validate_json(content)
            return envelope, envelope.data.result.result
        envelope, items = cut
        return envelope, items + envelope.data.result.result


_SUMMARY_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {}


def _summary_adapter(row: type[SummaryT]) -> TypeAdapter[StateEnvelope[SummaryByNode[SummaryT]]]:
    adapter = _SUMMARY_ADAPTERS.get(row)
    if adapter is None:
        adapter = TypeAdapter(StateEnvelope[SummaryByNode[row]])  # type: ignore[valid-type]
        _SUMMARY_ADAPTERS[row] = adapter
    return adapter


_EVENTS = TypeAdapter(EventsEnvelope)
_SERVE = TypeAdapter(ServeDetails)
_LOG_LISTING = TypeAdapter(LogListingEnvelope)

LIKE = "Ray 2.60"  # what a bad answer is said not to look like

SUMMARY_ROWS: dict[str, type[BaseModel]] = {
    "tasks": TaskSummaryRow,
    "actors": ActorSummaryRow,
    "objects": ObjectSummaryRow,
}


def parse_list(model: type[ItemT], content: bytes, url: str, limit: int) -> StateList[ItemT]:
    """A `/api/v0/{kind}` body -> StateList; DashboardBadResponse when it is not one."""
    try:
        envelope, items = _validated_list(model, content)
    except ValidationError as exc:
        raise bad_answer(url, exc, LIKE) from None
    if not envelope.result:
        raise DashboardRejected(f"{url}: {error_reason(envelope.msg)}", 200, envelope.msg)
    answer = envelope.data.result
    return StateList(
        items=items,
        total=answer.total,
        num_after_truncation=answer.num_after_truncation,
        num_filtered=answer.num_filtered,
        limit=limit,
        partial_failure_warning=answer.partial_failure_warning or "",
        warnings=tuple(answer.warnings or ()),
    )


def parse_summary(row: type[SummaryT], content: bytes, url: str) -> Summary[SummaryT]:
    try:
        envelope = _summary_adapter(row).validate_json(content)
    except ValidationError as exc:
        raise bad_answer(url, exc, LIKE) from None
    if not envelope.result:
        raise DashboardRejected(f"{url}: {error_reason(envelope.msg)}", 200, envelope.msg)
    answer = envelope.data.result
    by_node = answer.result.node_id_to_summary
    cluster = by_node.get("cluster") or next(iter(by_node.values()), None) or ClusterSummary()
    return Summary(
        rows=dict(cluster.summary),
        cluster=cluster,
        total=answer.total,
        warnings=tuple(answer.warnings or ()),
    )


def parse_events(content: bytes, url: str) -> list[ClusterEvent]:
    """`/events` -> every event, oldest first."""
    return parse_event_page(content, url, None).events


def parse_event_page(content: bytes, url: str, limit: int | None) -> EventPage:
    """`/events` -> its newest `limit` events (all when None), oldest first. A big answer is
    decoded in short calls (events_parse) and only the events kept are built, straight from
    the decoded dicts, so a thread running this never holds the GIL for long; an event kept
    that does not read plainly sends the whole body through the models."""
    if len(content) > SLICE_BYTES:
        with gc_paused():
            # Most polls: only the newest few hundred of up to 10,000 events are decoded.
            found = None if limit is None else newest_by_pattern(content, limit)
            if found is None:
                groups = event_groups(content)
                if groups is not None:
                    found = newest(groups, limit), sum(len(raws) for raws in groups.values())
            try:
                if found is not None:
                    kept, total = found
                    return EventPage([plain_event(raw, job) for job, raw in kept], total)
            except (TypeError, ValueError):
                pass  # the whole parse below reads it, or says what is wrong
    try:
        envelope = _EVENTS.validate_json(content)
    except ValidationError as exc:
        raise bad_answer(url, exc, LIKE) from None
    events = normalise_events(envelope.data.events)
    kept_events = events if limit is None else events[max(0, len(events) - limit) :]
    return EventPage(kept_events, len(events))


def parse_log_listing(content: bytes, url: str) -> dict[str, list[str]]:
    try:
        envelope = _LOG_LISTING.validate_json(content)
    except ValidationError as exc:
        raise bad_answer(url, exc, LIKE) from None
    if not envelope.result:
        raise DashboardRejected(f"{url}: {error_reason(envelope.msg)}", 200, envelope.msg)
    return {category: sorted(files) for category, files in (envelope.data.result or {}).items()}


class StateApi:
    """The explorer's calls on one DashboardClient. Each method is one request (two for
    `actor()`/`task()` never: they are one filtered request with detail)."""

    def __init__(self, client: DashboardClient) -> None:
        self.client = client
        self._memo = AnswerMemo()  # an unchanged answer is not parsed again

    async def _get(
        self,
        path: str,
        params: Sequence[tuple[str, str | int]],
        what: str,
        *,
        limit_bytes: int | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        options: dict[str, Any] = {"params": list(params)}
        if timeout is not None:
            options["timeout"] = timeout
        response = await self.client.request("GET", path, limit=limit_bytes, **options)
        if response.status_code >= 400:
            url = _clean_url(self.client, path)
            if response.status_code == 404 and path.startswith("/api/v0/"):
                raise DashboardBadResponse(
                    f"{what}: {url} answered 404: not a Ray 2.x dashboard with the State API"
                )
            raise refusal(what, url, response.status_code, response.text)
        if "html" in response.headers.get("content-type", ""):
            raise DashboardBadResponse(
                f"{what}: {_clean_url(self.client, path)} answered with an HTML page, "
                "not a Ray dashboard"
            )
        return response

    # Lists ---------------------------------------------------------------------------------

    async def list_of(
        self,
        kind: str | Kind,
        *,
        filters: Iterable[StateFilter] = (),
        limit: int = DEFAULT_LIMIT,
        detail: bool = False,
        timeout: float | None = None,
    ) -> StateList[Any]:
        spec = kind if isinstance(kind, Kind) else kind_named(kind)
        check_limit(limit)
        params: list[tuple[str, str | int]] = [("limit", limit)]
        if detail:
            params.append(("detail", "true"))
        params += filter_params(filters)
        response = await self._get(spec.path, params, f"listing {spec.name}", timeout=timeout)
        url = _clean_url(self.client, spec.path)
        # A big answer (10,000 rows: ~5-15 MB) is parsed in a thread, slice by slice, so the
        # event loop keeps drawing meanwhile.
        return await self._memo.parsed(
            (spec.path, tuple(params)),
            response.content,
            lambda content: parse_list(spec.model, content, url, limit),
        )

    async def actors(
        self, filters: Iterable[StateFilter] = (), limit: int = DEFAULT_LIMIT, detail: bool = False
    ) -> StateList[Actor]:
        return await self.list_of("actors", filters=filters, limit=limit, detail=detail)

    async def tasks(
        self, filters: Iterable[StateFilter] = (), limit: int = DEFAULT_LIMIT, detail: bool = False
    ) -> StateList[Task]:
        return await self.list_of("tasks", filters=filters, limit=limit, detail=detail)

    async def live_tasks(
        self, filters: Iterable[StateFilter] = (), limit: int = DEFAULT_LIMIT, detail: bool = False
    ) -> StateList[Task]:
        """Tasks not FINISHED: the filter is pushed down to the GCS, so no live task is lost
        to the data source's cap (unfiltered, Ray drops them past 10,000 without a word)."""
        live = StateFilter("state", "!=", "FINISHED")
        return await self.tasks([live, *filters], limit, detail)

    async def placement_groups(
        self, filters: Iterable[StateFilter] = (), limit: int = DEFAULT_LIMIT, detail: bool = True
    ) -> StateList[PlacementGroup]:
        """With detail by default: bundles, where each landed, and `scheduling_state`
        (INFEASIBLE only shows there)."""
        return await self.list_of("placement_groups", filters=filters, limit=limit, detail=detail)

    async def objects(
        self, filters: Iterable[StateFilter] = (), limit: int = DEFAULT_LIMIT
    ) -> StateList[ObjectRef]:
        """Fans out to every worker of the cluster: call only while the view is shown."""
        return await self.list_of("objects", filters=filters, limit=limit)

    async def workers(
        self,
        filters: Iterable[StateFilter] = (),
        limit: int = DEFAULT_LIMIT,
        *,
        alive_only: bool = True,
        detail: bool = False,
    ) -> StateList[Worker]:
        chosen = list(filters)
        if alive_only and not any(f.key == "is_alive" for f in chosen):
            chosen.insert(0, StateFilter("is_alive", "=", "true"))
        return await self.list_of("workers", filters=chosen, limit=limit, detail=detail)

    async def nodes(
        self, filters: Iterable[StateFilter] = (), limit: int = DEFAULT_LIMIT
    ) -> StateList[Node]:
        return await self.list_of("nodes", filters=filters, limit=limit)

    async def jobs(
        self, filters: Iterable[StateFilter] = (), limit: int = DEFAULT_LIMIT
    ) -> StateList[StateJob]:
        return await self.list_of("jobs", filters=filters, limit=limit)

    # One row with detail -------------------------------------------------------------------

    async def _one(self, kind: str, id_field: str, value: str) -> Any | None:
        found = await self.list_of(
            kind, filters=[StateFilter(id_field, "=", value)], limit=1, detail=True
        )
        return found.items[0] if found.items else None

    async def actor(self, actor_id: str) -> Actor | None:
        """One actor with detail (death cause, required resources), or None."""
        return await self._one("actors", "actor_id", actor_id)

    async def task(self, task_id: str) -> Task | None:
        """One task with detail (~2.4 KB: only for the selected row)."""
        return await self._one("tasks", "task_id", task_id)

    async def placement_group(self, pg_id: str) -> PlacementGroup | None:
        return await self._one("placement_groups", "placement_group_id", pg_id)

    # Summaries -----------------------------------------------------------------------------

    async def summary(
        self,
        kind: str,
        *,
        filters: Iterable[StateFilter] = (),
        timeout: float | None = None,
    ) -> Summary[Any]:
        """`tasks` (by function and state; the slowest call of the State API), `actors` (by
        class) or `objects` (by call site; fans out to every worker). `filters` narrow what
        Ray counts (e.g. one job's tasks: `job_id=02000000`)."""
        name = KIND_ALIASES.get(kind, kind)
        if name not in SUMMARY_ROWS:
            raise ValueError(f"no summary of {kind!r} (summaries: tasks, actors, objects)")
        path = f"/api/v0/{name}/summarize"
        params = filter_params(filters)
        response = await self._get(path, params, f"summarising {name}", timeout=timeout)
        return parse_summary(SUMMARY_ROWS[name], response.content, _clean_url(self.client, path))

    # Events, Serve, autoscaler -------------------------------------------------------------

    async def events(self, job_id: str | None = None) -> list[ClusterEvent]:
        """Cluster events, oldest first. `/events`, not `/api/v0/cluster_events` (which answers
        500 once any worker has crashed)."""
        return (await self.newest_events(None, job_id)).events

    async def newest_events(self, limit: int | None, job_id: str | None = None) -> EventPage:
        """The newest `limit` cluster events (all when None), oldest first, and the count of
        all. Ray's /events takes no limit: the whole answer comes, only `limit` are built."""
        params: list[tuple[str, str | int]] = [("job_id", job_id)] if job_id else []
        response = await self._get("/events", params, "reading events")
        url = _clean_url(self.client, "/events")
        # Ray keeps up to 10,000 events a job and /events has no limit: a big answer is parsed
        # off the loop, and not again while the dashboard's cache answers the same bytes.
        return await self._memo.parsed(
            ("/events", tuple(params), limit),
            response.content,
            lambda content: parse_event_page(content, url, limit),
        )

    async def serve(self) -> ServeState:
        path = "/api/serve/applications/"
        response = await self.client.request("GET", path)
        if response.status_code == 501:
            return ServeState(False, reason="Serve is not installed on the head (ray[serve])")
        if response.status_code >= 400:
            raise refusal(
                "reading Serve applications",
                _clean_url(self.client, path),
                response.status_code,
                response.text,
            )
        try:
            return ServeState(True, _SERVE.validate_json(response.content))
        except ValidationError as exc:
            raise bad_answer(_clean_url(self.client, path), exc, LIKE) from None

    async def cluster_status_text(self) -> str:
        """The autoscaler's report (`ray status`): works under autoscaler v1 and v2."""
        path = "/api/cluster_status"
        response = await self._get(path, [("format", 1)], "reading the autoscaler status")
        try:
            document = response.json()
            text = document["data"]["clusterStatus"]
        except (ValueError, KeyError, TypeError):
            raise DashboardBadResponse(
                f"{_clean_url(self.client, path)}?format=1 did not answer like Ray 2.60"
            ) from None
        return str(text or "")

    # Logs ----------------------------------------------------------------------------------

    async def node_logs(self, node_id: str) -> dict[str, list[str]]:
        """The node's log files by category (`worker_out`, `raylet`, `internal` ...)."""
        path = "/api/v0/logs"
        response = await self._get(path, [("node_id", node_id)], f"listing logs of node {node_id}")
        return parse_log_listing(response.content, _clean_url(self.client, path))

    async def log_file(
        self,
        *,
        node_id: str | None = None,
        filename: str | None = None,
        actor_id: str | None = None,
        task_id: str | None = None,
        submission_id: str | None = None,
        pid: int | None = None,
        suffix: str = "out",
        lines: int = 1000,
        max_bytes: int = LOG_FILE_MAX_BYTES,
    ) -> str:
        """The last `lines` lines of one log (0: the whole file, up to `max_bytes`), ANSI codes
        removed by Ray. Name it by node + file, actor, task, or submission id / pid + node."""
        params = log_params(
            node_id=node_id,
            filename=filename,
            actor_id=actor_id,
            task_id=task_id,
            submission_id=submission_id,
            pid=pid,
            suffix=suffix,
        )
        params += [("lines", lines), ("filter_ansi_code", "true")]
        response = await self._get(
            "/api/v0/logs/file",
            params,
            f"reading the log of {log_subject(params)}",
            limit_bytes=max_bytes,
            timeout=LOG_FILE_TIMEOUT_S,
        )
        return response.content.decode("utf-8", errors="replace")

    async def stream_log(
        self,
        *,
        node_id: str | None = None,
        filename: str | None = None,
        actor_id: str | None = None,
        task_id: str | None = None,
        suffix: str = "out",
        lines: int = 100,
        interval: float = 0.5,
        filter_ansi: bool = True,
    ) -> AsyncIterator[str]:
        """Follow one log: `/api/v0/logs/stream` (ANSI codes removed by Ray unless not
        `filter_ansi`: the caller then makes the text safe), raw text with no framing and no
        end (even for a dead actor), so there is no read deadline; the caller stops by closing
        the iterator. Errors before the first byte are one-line DashboardErrors."""
        import httpx

        params = log_params(
            node_id=node_id, filename=filename, actor_id=actor_id, task_id=task_id, suffix=suffix
        )
        params += [
            ("lines", lines),
            ("interval", str(interval)),
            ("filter_ansi_code", "true" if filter_ansi else "false"),
        ]
        http = await self.client.http()
        path = "/api/v0/logs/stream"
        url = _clean_url(self.client, path)
        what = f"following the log of {log_subject(params)}"
        request = http.build_request(
            "GET",
            path,
            params=list(params),
            timeout=httpx.Timeout(None, connect=5.0),
        )
        try:
            response = await http.send(request, stream=True)
        except httpx.TimeoutException:
            raise DashboardTimeout(f"{url} did not answer") from None
        except httpx.TransportError as exc:
            raise DashboardUnreachable(f"cannot reach {self.client.address}: {exc}") from None
        try:
            if response.status_code >= 400:
                body = b""
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) > 16 * 1024:
                        break
                if response.status_code in (401, 403):
                    raise DashboardUnauthorized(
                        self.client.token.refusal(self.client.address, response.status_code),
                        response.status_code,
                    )
                raise refusal(
                    what, url, response.status_code, body.decode("utf-8", errors="replace")
                )
            decoder = _Utf8Decoder()
            async for chunk in response.aiter_raw():
                text = decoder.feed(chunk)
                if text:
                    yield text
        except httpx.TransportError as exc:
            raise DashboardUnreachable(f"{what}: the connection broke ({exc})") from None
        finally:
            await response.aclose()


class _Utf8Decoder:
    def __init__(self) -> None:
        import codecs

        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, chunk: bytes) -> str:
        return str(self._decoder.decode(chunk))


def log_params(
    *,
    node_id: str | None = None,
    filename: str | None = None,
    actor_id: str | None = None,
    task_id: str | None = None,
    submission_id: str | None = None,
    pid: int | None = None,
    suffix: str = "out",
) -> list[tuple[str, str | int]]:
    """The query naming one log; ValueError when it names none or is incomplete."""
    if suffix not in ("out", "err"):
        raise ValueError(f"suffix must be 'out' or 'err', not {suffix!r}")
    params: list[tuple[str, str | int]] = []
    if filename:
        if not node_id:
            raise ValueError("a log file name needs the node id (--node)")
        params += [("node_id", node_id), ("filename", filename)]
    elif actor_id:
        params += [("actor_id", actor_id), ("suffix", suffix)]
    elif task_id:
        params += [("task_id", task_id), ("suffix", suffix)]
    elif submission_id or pid is not None:
        if not node_id:
            raise ValueError("a log by submission id or pid needs the node id (--node)")
        params.append(("node_id", node_id))
        if submission_id:
            params.append(("submission_id", submission_id))
        else:
            params.append(("pid", int(pid or 0)))
        params.append(("suffix", suffix))
    else:
        raise ValueError("name a log: --node ID --file NAME, --actor ID or --task ID")
    return params


def log_subject(params: Iterable[tuple[str, str | int]]) -> str:
    named = dict(params)
    for key, label in (
        ("filename", "file"),
        ("actor_id", "actor"),
        ("task_id", "task"),
        ("submission_id", "job"),
        ("pid", "pid"),
    ):
        if key in named:
            return f"{label} {named[key]}"
    return "a log"
