"""A small actor picker (ctrl+k): the cluster's actors, `k` kills the selected one (after a
confirmation; refused in read-only mode), `y` copies its id. The kill itself is the App's
(a `KillActor` request), so any actors view binds the same action."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from sovtui.monitor.link_state import LinkState
from sovtui.monitor.poller import Poller
from sovtui.ray_api.state import StateApi, StateList
from sovtui.ray_api.state_models import Actor
from sovtui.support.safe_text import visible
from sovtui.tui.loops import start_loop
from sovtui.tui.messages import KillActor
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.plain import cell, plain

ACTOR_LIMIT = 200
COLUMNS = ("Class", "Name", "Namespace", "State", "Actor id")


@dataclass
class ActorsReady(Message):
    actors: StateList[Actor]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ActorsReady)


@dataclass
class ActorsLink(Message):
    link: LinkState


def actor_label(actor: Actor) -> str:
    return f"{actor.class_name} {actor.name}" if actor.name else actor.class_name


class ActorPickScreen(Screen[None]):
    CSS_PATH = "pending.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Return to the previous screen"),
        Binding("k", "kill", "Kill", tooltip="Kill the selected actor, after a confirmation"),
        Binding("y", "copy_id", "Copy id", tooltip="Copy the selected actor's id (OSC 52)"),
        Binding("r", "poll", "Refresh", tooltip="List the actors again now"),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.actors: dict[str, Actor] = {}
        api = StateApi(services.connection.client)
        self.poller: Poller[StateList[Actor]] = Poller(
            lambda: api.actors(limit=ACTOR_LIMIT),
            max(2.0, services.settings.interval),
            wanted=lambda: self.is_current,
            clock=services.clock,
        )
        self.poller.subscribe(
            lambda actors: self.post_message(ActorsReady(actors)),
            lambda link: self.post_message(ActorsLink(link)),
        )

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static("listing actors…", id="pending-summary")
        yield DataTable(id="pending-table", cursor_type="row", zebra_stripes=True)
        yield SteadyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.border_title = "Actors"
        for column in COLUMNS:
            table.add_column(column, key=column)
        table.focus()
        start_loop(self, self.poller.run, "actors-poll")

    @on(ActorsReady)
    def _show(self, message: ActorsReady) -> None:
        table = self.query_one(DataTable)
        selected = self.selected_id()
        self.actors = {actor.actor_id: actor for actor in message.actors.items}
        table.clear()
        for actor in self.actors.values():
            values = (actor.class_name, actor.name or "", actor.ray_namespace or "", actor.state)
            table.add_row(*(cell(v) for v in values), cell(actor.actor_id), key=actor.actor_id)
        if selected in self.actors:
            table.move_cursor(row=table.get_row_index(selected))
        notes = "; ".join(message.actors.notes())
        self.query_one("#pending-summary", Static).update(
            plain(f"{len(self.actors)} actors" + (f" ({notes})" if notes else ""))
        )
        self.refresh_bindings()

    @on(ActorsLink)
    def _link(self, message: ActorsLink) -> None:
        if not message.link.healthy and message.link.state != "connecting":
            text = f"cannot list actors: {message.link.message or message.link.state}"
            self.query_one("#pending-summary", Static).update(plain(text, "bold red"))

    def selected_id(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def select(self, actor_id: str) -> bool:
        """Put the cursor on an actor (tests and callers that know which)."""
        if actor_id not in self.actors:
            return False
        table = self.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(actor_id))
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "kill":
            if self.services.settings.readonly:
                return False
            actor = self.actors.get(self.selected_id() or "")
            return True if actor is not None and actor.state != "DEAD" else None
        return True

    def action_kill(self) -> None:
        actor = self.actors.get(self.selected_id() or "")
        if actor is not None:
            self.app.post_message(KillActor(actor.actor_id, actor_label(actor)))

    def action_copy_id(self) -> None:
        actor_id = self.selected_id()
        if actor_id is None:
            self.notify("nothing selected", severity="warning", timeout=2)
            return
        self.app.copy_to_clipboard(actor_id)
        self.notify(f"copied {visible(actor_id)}", timeout=2)

    def action_poll(self) -> None:
        self.poller.poll_now()

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(DataTable.RowHighlighted)
    def _moved(self) -> None:
        self.refresh_bindings()
