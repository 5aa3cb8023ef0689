"""`sovtui contexts [--json]`: every cluster sovtui knows, by name, with its state and health.

Each dashboard is probed in parallel with a short timeout (through its tunnel when it has one),
so the listing takes about `--timeout` seconds at most however many contexts there are.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sovtui.cli.common import EXIT_OK, add_connection_options, settings_from_args
from sovtui.cluster.contexts import Health, list_contexts, probe_contexts
from sovtui.support.formatting import truncate
from sovtui.support.safe_text import visible


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "contexts",
        help="list every cluster sovtui knows (config, Compose, kept heads, Slurm) with health",
    )
    add_connection_options(parser, suppress_defaults=True)
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument(
        "--no-probe", action="store_true", help="list only; do not ask the dashboards"
    )
    parser.add_argument(
        "--timeout", type=float, default=2.0, help="seconds for each probe (default 2)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    listing = list_contexts(settings)
    health: dict[str, Health] = {}
    if not args.no_probe:
        health = probe_contexts(listing.contexts, settings, timeout=max(0.1, args.timeout))
    if args.json:
        documents: list[dict[str, Any]] = []
        for context in listing.contexts:
            found = health.get(context.name)
            documents.append(
                {
                    **context.to_json(),
                    "state": found.state if found else None,
                    "health": found.summary if found else None,
                }
            )
        print(json.dumps({"contexts": documents, "problems": listing.problems}, indent=2))
        return EXIT_OK
    for problem in listing.problems:
        print(f"sovtui: {visible(problem)}", file=sys.stderr)
    if not listing.contexts:
        print(
            "no contexts: save one under `contexts:` in the config, or bring a cluster up "
            "(sovtui up, sovtui --keep)"
        )
        return EXIT_OK
    width = max(len(context.name) for context in listing.contexts)
    for context in listing.contexts:
        found = health.get(context.name)
        state = found.state if found else "-"
        where = context.address + (f" via {context.via}" if context.via else "")
        print(visible(f"{context.name:<{width}}  {context.kind:<8} {state:<12} {where}"))
        line = found.summary if found else context.record
        print(visible(f"{'':<{width}}  {truncate(line, 100)}"))
    return EXIT_OK
