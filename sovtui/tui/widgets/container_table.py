"""The containers of one Compose project: service, name, state, CPU% and memory."""

from __future__ import annotations

from textual.reactive import reactive

from sovtui.cluster.compose.events import ContainerInfo
from sovtui.support.formatting import human_bytes
from sovtui.tui.widgets.node_table import LiveTable, replace_rows

COLUMNS = ("Service", "Name", "State", "CPU%", "Memory")


def container_row(info: ContainerInfo, project: str = "") -> tuple[str, ...]:
    """One row; the name loses its `PROJECT-` prefix (the screen names the project once)."""
    prefix = f"{project}-" if project else ""
    name = info.name[len(prefix) :] if prefix and info.name.startswith(prefix) else info.name
    memory = "—"
    if info.memory_bytes is not None:
        memory = human_bytes(info.memory_bytes)
        if info.memory_limit:
            memory += f" / {human_bytes(info.memory_limit)}"
    cpu = "—" if info.cpu_percent is None else f"{info.cpu_percent:.1f}%"
    return (info.service, name, info.state, cpu, memory)


class ContainerTable(LiveTable):
    """Set `containers` (a reactive) and the rows follow, keeping the cursor's container."""

    BORDER_TITLE = "Containers"
    containers: reactive[tuple[ContainerInfo, ...] | None] = reactive(None, always_update=True)
    project: reactive[str] = reactive("")

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for column in COLUMNS:
            self.add_column(column, key=column)

    def watch_containers(self, containers: tuple[ContainerInfo, ...] | None) -> None:
        if containers is None:
            return
        rows = [(info.name, container_row(info, self.project)) for info in containers]
        replace_rows(self, rows)
        running = sum(1 for info in containers if info.state == "running")
        self.show_title(f"Containers ({running} running / {len(containers)})")

    @property
    def selected_name(self) -> str | None:
        """The container under the cursor."""
        if not self.row_count or not 0 <= self.cursor_row < self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return str(key) if key is not None else None
