"""`sovtui presets [--json]`: the presets sovtui can launch, and every file that failed to load."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sovtui.cli.common import EXIT_OK
from sovtui.presets.argv import allowed
from sovtui.presets.loader import LoadResult, load_presets
from sovtui.presets.models import Preset


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("presets", help="list preset workloads (and bad preset files)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def report_failures(result: LoadResult) -> None:
    for failure in result.failures:
        print(f"sovtui: bad preset {failure}", file=sys.stderr)


def preset_document(preset: Preset) -> dict[str, Any]:
    document = preset.model_dump(mode="json")
    document["source"] = str(preset.source) if preset.source else None
    return document


def run(args: argparse.Namespace) -> int:
    result = load_presets()
    report_failures(result)
    if args.json:
        print(json.dumps([preset_document(p) for p in result.presets], indent=2))
        return EXIT_OK
    if not result.presets:
        print("no presets found")
    for preset in result.presets:
        workload = preset.workload.module or preset.workload.command
        override = "  (user override)" if preset.name in result.overridden else ""
        print(f"{preset.name:<20} {preset.display_title}{override}")
        print(f"{'':<20} runs: {workload}")
        for param in preset.params:
            default = "(workload default)" if param.default is None else param.default
            print(f"{'':<20}   -p {param.name}={default}  ({allowed(param)}) {param.help}")
    return EXIT_OK
