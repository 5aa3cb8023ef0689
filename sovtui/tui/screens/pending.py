"""Why is it pending? What cannot run on the cluster and why, polled only while shown (P)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from sovtui.monitor.link_state import LinkState
from sovtui.monitor.pending import INFEASIBLE, PendingItem, PendingReport, pending_report
from sovtui.monitor.poller import Poller
from sovtui.ray_api.state import StateApi
from sovtui.support.safe_text import visible
from sovtui.tui.loops import start_loop
from sovtui.tui.messages import KillActor
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.plain import cell, plain

MIN_INTERVAL_S = 5.0  # five State API requests per poll: never faster than this
COLUMNS = ("Verdict", "Kind", "Name", "Asks for", "Cluster has")


@dataclass
class PendingReady(Message):
    report: PendingReport

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PendingReady)


@dataclass
class PendingLink(Message):
    link: LinkState


def item_row(item: PendingItem) -> tuple[Text, ...]:
    from sovtui.monitor.pending import resources_text

    verdict = plain(
        item.verdict.upper() if item.verdict == INFEASIBLE else item.verdict,
        "bold red" if item.verdict == INFEASIBLE else "yellow",
    )
    return (
        verdict,
        cell(item.kind),
        cell(item.name or "(unnamed)"),
        cell(resources_text(item.asked)),
        cell(item.has),
    )


def footnotes(report: PendingReport) -> Text:
    text = Text()
    if report.autoscaler_demands:
        text.append("Autoscaler demands: ", style="bold")
        text.append(plain("; ".join(report.autoscaler_demands)))
    for note in report.notes:
        text.append(plain("\n" + note))
    return text


class PendingScreen(Screen[None]):
    CSS_PATH = "pending.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Return to the previous screen"),
        Binding("r", "poll", "Refresh", tooltip="Ask the cluster again now"),
        Binding("y", "copy_id", "Copy id", tooltip="Copy the selected row's id (OSC 52)"),
        Binding(
            "k",
            "kill",
            "Kill actor",
            tooltip="Kill the selected pending actor, after a confirmation",
        ),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.report: PendingReport | None = None
        api = StateApi(services.connection.client)
        self.poller: Poller[PendingReport] = Poller(
            lambda: pending_report(api),
            max(MIN_INTERVAL_S, services.settings.interval),
            wanted=lambda: self.is_current,
            clock=services.clock,
        )
        self.poller.subscribe(
            lambda report: self.post_message(PendingReady(report)),
            lambda link: self.post_message(PendingLink(link)),
        )

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static("asking the cluster…", id="pending-summary")
        yield DataTable(id="pending-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="pending-notes")
        yield SteadyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.border_title = "Why is it pending?"
        for column in COLUMNS:
            table.add_column(column, key=column)
        table.focus()
        start_loop(self, self.poller.run, "pending-poll")

    @on(PendingReady)
    def _show(self, message: PendingReady) -> None:
        report = message.report
        self.report = report
        summary = report.banner() or "nothing is pending"
        self.query_one("#pending-summary", Static).update(plain(summary, "bold"))
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for item in (*report.infeasible, *report.waiting):
            table.add_row(*item_row(item), key=item.id)
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        self.query_one("#pending-notes", Static).update(footnotes(report))
        self.refresh_bindings()

    @on(PendingLink)
    def _link(self, message: PendingLink) -> None:
        link = message.link
        if not link.healthy and link.state != "connecting":
            self.query_one("#pending-summary", Static).update(
                plain(f"cannot ask the cluster: {link.message or link.state}", "bold red")
            )

    def selected(self) -> PendingItem | None:
        table = self.query_one(DataTable)
        if self.report is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((item for item in self.report.items if item.id == key), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "kill":
            if self.services.settings.readonly:
                return False
            item = self.selected()
            return True if item is not None and item.kind == "actor" else None
        return True

    def action_poll(self) -> None:
        self.poller.poll_now()

    def action_copy_id(self) -> None:
        item = self.selected()
        if item is None:
            self.notify("nothing selected", severity="warning", timeout=2)
            return
        self.app.copy_to_clipboard(item.id)
        self.notify(f"copied {visible(item.id)}", timeout=2)

    def action_kill(self) -> None:
        item = self.selected()
        if item is not None and item.kind == "actor":
            self.app.post_message(KillActor(item.id, item.name))

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(DataTable.RowHighlighted)
    def _moved(self) -> None:
        self.refresh_bindings()
