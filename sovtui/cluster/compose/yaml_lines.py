"""Map key paths of a YAML document to line numbers, so errors can say where to look."""

from __future__ import annotations

import yaml

from sovtui.support.yaml_io import SafeLoader

Path = tuple[str | int, ...]


def line_map(text: str) -> dict[Path, int]:
    """{('services', 'ray-head', 'ports', 0): 14, ...} with 1-based lines; {} if unparsable."""
    try:
        root = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[Path, int] = {}

    def walk(node: yaml.Node, path: Path) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                child = (*path, key)
                lines.setdefault(child, key_node.start_mark.line + 1)
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines.setdefault((*path, index), item.start_mark.line + 1)
                walk(item, (*path, index))

    if root is not None:
        walk(root, ())
    return lines


def nearest_line(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, or of its closest ancestor present in the document."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None
