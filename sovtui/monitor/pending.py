"""Why is it pending? What cannot run on the cluster, and why (no Textual here).

Ray 2.60 reports a task as PENDING_NODE_ASSIGNMENT whether no node could ever run it
(infeasible) or it only waits for resources to free up. The two are told apart here the way
Ray's scheduler does: a request is feasible when some ALIVE node's `resources_total` holds every
resource it asks for, in the amount asked. Placement groups carry Ray's own verdict in
`stats.scheduling_state` (INFEASIBLE); the autoscaler's "Pending Demands" (from
`/api/cluster_status?format=1`, which works under autoscaler v1 and v2) are added as it words them.

One report costs five requests: pending tasks and pending actors (with detail, only those), pending
placement groups (detail), alive nodes, and the autoscaler's text.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sovtui.ray_api.state import StateApi, StateFilter
from sovtui.ray_api.state_models import Actor, Node, PlacementGroup, Task

INFEASIBLE = "infeasible"
WAITING = "waiting"
PENDING_PG = "waiting for its placement group"

PENDING_LIMIT = 100  # pending rows read with detail, per kind
# Resources a placement group's bundles turn into: CPU_group_<pg id> or CPU_group_<i>_<pg id>.
_GROUP_RESOURCE = re.compile(r"^(?P<name>.+?)_group_(?:\d+_)?(?P<pg>[0-9a-f]{36})$")


def amount(name: str, value: float) -> str:
    """`CPU 2`, `GPU 0.5`, `memory 1.5 GiB`."""
    if name in ("memory", "object_store_memory"):
        return f"{name} {value / 2**30:.3g} GiB"
    return f"{name} {value:g}"


def resources_text(resources: Mapping[str, float]) -> str:
    shown = [amount(k, v) for k, v in sorted(resources.items()) if v and not k.startswith("node:")]
    return ", ".join(shown) or "nothing"


def placement_group_of(resources: Mapping[str, float]) -> str | None:
    for name in resources:
        match = _GROUP_RESOURCE.match(name)
        if match:
            return match.group("pg")
    return None


def fits(required: Mapping[str, float], node: Node) -> bool:
    return all(node.resources_total.get(name, 0.0) >= value for name, value in required.items())


def judge(required: Mapping[str, float], nodes: Sequence[Node]) -> tuple[str, str]:
    """(verdict, what the cluster has) for one request of resources."""
    asked = {name: value for name, value in required.items() if value}
    pg = placement_group_of(asked)
    if pg is not None:
        return PENDING_PG, f"its resources come from placement group {pg}"
    alive = [node for node in nodes if node.state == "ALIVE"]
    if not alive:
        return INFEASIBLE, "no node is alive"
    fitting = [node for node in alive if fits(asked, node)]
    if fitting:
        totals: dict[str, float] = {}
        for node in alive:
            for name in asked:
                totals[name] = totals.get(name, 0.0) + node.resources_total.get(name, 0.0)
        where = "1 alive node" if len(fitting) == 1 else f"{len(fitting)} alive nodes"
        return WAITING, (
            f"fits on {where} once resources free up (cluster total: {resources_text(totals)})"
        )
    missing: list[str] = []
    for name, value in sorted(asked.items()):
        largest = max(node.resources_total.get(name, 0.0) for node in alive)
        if largest <= 0:
            missing.append(f"no alive node has {name}")
        elif largest < value:
            missing.append(f"the largest alive node has {amount(name, largest)}")
    if not missing:  # every resource exists, but never all together on one node
        missing.append("no single alive node has all of it")
    return INFEASIBLE, "; ".join(missing)


@dataclass(frozen=True)
class PendingItem:
    kind: str  # "task", "actor", "placement group"
    id: str
    name: str
    verdict: str  # INFEASIBLE, WAITING, PENDING_PG, or a placement group's scheduling state
    asked: dict[str, float]
    has: str
    job_id: str | None = None
    state: str = ""

    def line(self) -> str:
        return (
            f"{self.verdict.upper() if self.verdict == INFEASIBLE else self.verdict}: "
            f"{self.kind} {self.name or '(unnamed)'} ({self.id}) asks for "
            f"{resources_text(self.asked)}; {self.has}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "verdict": self.verdict,
            "asked": self.asked,
            "cluster_has": self.has,
            "job_id": self.job_id,
            "state": self.state,
        }


@dataclass(frozen=True)
class PendingReport:
    items: list[PendingItem]
    autoscaler_demands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def infeasible(self) -> list[PendingItem]:
        return [item for item in self.items if item.verdict == INFEASIBLE]

    @property
    def waiting(self) -> list[PendingItem]:
        return [item for item in self.items if item.verdict != INFEASIBLE]

    def banner(self) -> str:
        """`3 pending (2 infeasible)`, or empty when nothing is pending."""
        if not self.items:
            return ""
        infeasible = len(self.infeasible)
        extra = f" ({infeasible} infeasible)" if infeasible else ""
        return f"{len(self.items)} pending{extra}"

    def lines(self) -> list[str]:
        lines = [item.line() for item in (*self.infeasible, *self.waiting)]
        if not lines:
            lines.append("nothing is pending")
        if self.autoscaler_demands:
            lines.append("autoscaler demands:")
            lines += [f"  {demand}" for demand in self.autoscaler_demands]
        lines += self.notes
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "pending": [item.to_json() for item in self.items],
            "infeasible": len(self.infeasible),
            "waiting": len(self.waiting),
            "autoscaler_demands": self.autoscaler_demands,
            "notes": self.notes,
        }


def autoscaler_demands(status_text: str) -> list[str]:
    """The lines under "Pending Demands:" of `ray status` (empty when there are none)."""
    demands: list[str] = []
    inside = False
    for raw in status_text.splitlines():
        line = raw.strip()
        if line.startswith("Pending Demands:"):
            inside = True
            continue
        if not inside:
            continue
        if not line or (not raw.startswith(" ") and line.endswith(":")) or line.startswith("="):
            break
        if line.startswith("(no ") and line.endswith(")"):
            continue
        demands.append(line)
    return demands


def _task_item(task: Task, nodes: Sequence[Node]) -> PendingItem:
    verdict, has = judge(task.required_resources, nodes)
    return PendingItem(
        "task",
        task.task_id,
        task.func_or_class_name or task.name,
        verdict,
        dict(task.required_resources),
        has,
        task.job_id,
        task.state,
    )


def _actor_item(actor: Actor, nodes: Sequence[Node]) -> PendingItem:
    verdict, has = judge(actor.required_resources, nodes)
    label = f"{actor.class_name} {actor.name}" if actor.name else actor.class_name
    return PendingItem(
        "actor",
        actor.actor_id,
        label,
        verdict,
        dict(actor.required_resources),
        has,
        actor.job_id,
        actor.state,
    )


def _group_item(group: PlacementGroup, nodes: Sequence[Node]) -> PendingItem:
    asked: dict[str, float] = {}
    for bundle in group.bundles:
        for name, value in bundle.unit_resources.items():
            asked[name] = asked.get(name, 0.0) + value
    ray_says = group.scheduling_state
    bundles = ", ".join(f"{{{resources_text(b.unit_resources)}}}" for b in group.bundles)
    strategy = f" {group.strategy}" if group.strategy else ""
    if ray_says == "INFEASIBLE":
        verdict = INFEASIBLE
        worst = [judge(b.unit_resources, nodes) for b in group.bundles]
        reasons = sorted({has for v, has in worst if v == INFEASIBLE}) or [
            "Ray's scheduler found no placement for its bundles together"
        ]
        has = f"bundles{strategy} [{bundles}]: " + "; ".join(reasons)
    else:
        verdict = WAITING
        has = f"bundles{strategy} [{bundles}]: Ray's scheduling state {ray_says or 'unknown'}"
    return PendingItem(
        "placement group",
        group.placement_group_id,
        group.name or "",
        verdict,
        asked,
        has,
        group.creator_job_id,
        group.state,
    )


def analyse(
    tasks: Iterable[Task],
    actors: Iterable[Actor],
    groups: Iterable[PlacementGroup],
    nodes: Sequence[Node],
    status_text: str = "",
    notes: Iterable[str] = (),
) -> PendingReport:
    """The pure part: rows already fetched -> the report."""
    items: list[PendingItem] = []
    for task in tasks:
        # An actor's creation task is the actor itself, reported once, as the actor.
        if task.state == "PENDING_NODE_ASSIGNMENT" and task.type != "ACTOR_CREATION_TASK":
            items.append(_task_item(task, nodes))
    items += [_actor_item(actor, nodes) for actor in actors if actor.state == "PENDING_CREATION"]
    items += [
        _group_item(group, nodes) for group in groups if group.state in ("PENDING", "RESCHEDULING")
    ]
    return PendingReport(items, autoscaler_demands(status_text), list(notes))


async def pending_report(api: StateApi, limit: int = PENDING_LIMIT) -> PendingReport:
    """Fetch (five requests, concurrently) and analyse."""
    tasks, actors, groups, nodes, status = await asyncio.gather(
        api.tasks([StateFilter("state", "=", "PENDING_NODE_ASSIGNMENT")], limit, detail=True),
        api.actors([StateFilter("state", "=", "PENDING_CREATION")], limit, detail=True),
        api.placement_groups(
            [StateFilter("state", "!=", "CREATED"), StateFilter("state", "!=", "REMOVED")],
            limit,
            detail=True,
        ),
        api.nodes([StateFilter("state", "=", "ALIVE")], 10_000),
        api.cluster_status_text(),
    )
    notes = [
        f"{kind}: {note}"
        for kind, answer in (("tasks", tasks), ("actors", actors), ("placement groups", groups))
        for note in answer.notes()
    ]
    return analyse(tasks.items, actors.items, groups.items, nodes.items, status, notes)
