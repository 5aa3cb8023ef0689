"""One node over time (enter on a node in the dashboard): CPU, memory, object store, disk,
network and each GPU from the flight recorder, and the node's workers from the latest poll.

The recorder is read in a thread after the screen is shown; `z` zooms like the dashboard's plots.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from sovtui.monitor.recorded_history import PlotLines, next_window
from sovtui.ray_api.snapshot import ClusterSnapshot, NodeView
from sovtui.support.formatting import human_duration
from sovtui.support.safe_text import visible
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.bench_plot import BenchPlot, PlotData
from sovtui.tui.widgets.plain import plain

PLOTS = ("CPU %", "Memory %", "Network and disk MB/s", "GPU utilisation %")
WORKER_COLUMNS = ("pid", "type", "job", "tasks", "object store MB")


def _plot_id(title: str) -> str:
    return "node-plot-" + str(PLOTS.index(title))


class NodeDetailScreen(Screen[None]):
    DEFAULT_CSS = """
    NodeDetailScreen #node-summary { height: auto; padding: 0 1; }
    NodeDetailScreen #node-plots {
        grid-size: 2 2; height: 2fr; min-height: 12;
    }
    NodeDetailScreen .bench-panel { border: round $primary 40%; }
    NodeDetailScreen #node-workers { height: 1fr; min-height: 4; border: round $primary 40%; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Return to the dashboard"),
        Binding(
            "z",
            "zoom",
            "Zoom plots",
            tooltip="The plots' next time window (5 m, 1 h, 6 h, 24 h, 7 d)",
        ),
    ]

    def __init__(self, services: Services, node_id: str) -> None:
        super().__init__()
        self.services = services
        self.node_id = node_id
        self.window = 3600.0
        self.plots: dict[str, PlotLines] = {}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Static(id="node-summary")
        with Grid(id="node-plots"):
            for title in PLOTS:
                yield BenchPlot(title, ascii_only=self.services.ascii_only, id=_plot_id(title))
        yield DataTable(id="node-workers", cursor_type="row", zebra_stripes=True)
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.sub_title = visible(f"node {self.node_id[:12]}")
        workers = self.query_one("#node-workers", DataTable)
        workers.border_title = "Workers"
        workers.border_subtitle = "per-worker CPU and memory: not in Ray 2.60's node summary"
        for column in WORKER_COLUMNS:
            workers.add_column(column, key=column)
        self.watch(self.app, "snapshot", self._from_snapshot)
        self._show_window()
        self._load()

    def _node(self, snapshot: ClusterSnapshot | None) -> NodeView | None:
        if snapshot is None:
            return None
        return next((n for n in snapshot.nodes if n.node_id == self.node_id), None)

    def _from_snapshot(self, snapshot: ClusterSnapshot | None) -> None:
        node = self._node(snapshot)
        if node is None:
            return
        head = " (head)" if node.is_head else ""
        self.query_one("#node-summary", Static).update(
            plain(
                f"{node.hostname or node.ip} {node.ip}{head} · {node.state} · "
                f"{node.cpus:g} CPUs · {len(node.gpu_list)} GPUs · {len(node.workers)} workers"
            )
        )
        table = self.query_one("#node-workers", DataTable)
        table.clear()
        for worker in node.workers:
            store = worker.object_store_used
            table.add_row(
                str(worker.pid or "—"),
                plain(worker.worker_type.lower()),
                plain(worker.job_id or "—"),
                "—" if worker.running_tasks is None else str(worker.running_tasks),
                "—" if store is None else f"{store / 1_000_000:.1f}",
            )

    # -- plots ------------------------------------------------------------------------------

    def _show_window(self) -> None:
        for plot in self.query(BenchPlot):
            plot.border_subtitle = f"last {human_duration(self.window)} → now"

    @work(thread=True, exclusive=True, group="node-history", exit_on_error=False)
    def _load(self) -> None:
        from sovtui.monitor.recorded_history import node_plots
        from sovtui.recorder.identity import Target

        services = self.services
        latest = services.feed.latest
        plots = node_plots(
            Target.of_connection(services.connection),
            latest.session_name if latest is not None else None,
            self.node_id,
            services.clock.now(),
            self.window,
        )
        self.app.call_from_thread(self._loaded, plots)

    def _loaded(self, plots: dict[str, PlotLines]) -> None:
        self.plots = plots
        for title in PLOTS:
            lines = {label: points for label, points in plots.get(title, {}).items() if points}
            empty = "no GPUs recorded" if title.startswith("GPU") else "nothing recorded yet"
            data = PlotData(lines=lines, xlabel="seconds before now", empty=empty, ymin=0.0)
            self.query_one(f"#{_plot_id(title)}", BenchPlot).show(data)

    def action_zoom(self) -> None:
        self.window = next_window(self.window)
        self._show_window()
        self._load()

    def action_back(self) -> None:
        self.dismiss()
