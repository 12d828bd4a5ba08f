"""Command line: ``python -m dlhelpers check`` and ``python -m dlhelpers download``."""

from __future__ import annotations

import argparse
import sys

from . import data
from .checks import check_setup


def download(names: list[str]) -> int:
    """Fetch and verify the named files (all by default); return the number that failed."""
    failed = 0
    for name in names or list(data.REGISTRY):
        try:
            path = data.fetch(name, progress=True)
        except data.DataError as error:
            failed += 1
            print(f"FAILED {name}: {error}", file=sys.stderr)
        else:
            print(f"ok     {name}: {path}")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dlhelpers",
        description="Helpers for the lesson 'Introduction to deep learning with Keras'.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="check the installation and the data cache")
    get = commands.add_parser("download", help="download and verify the lesson's data files")
    get.add_argument("names", nargs="*", help=f"files to fetch (default all): {', '.join(data.REGISTRY)}")
    args = parser.parse_args(argv)
    if args.command == "check":
        return 0 if check_setup() else 1
    unknown = [n for n in args.names if n not in data.REGISTRY]
    if unknown:
        parser.error(f"unknown file(s) {', '.join(unknown)}; known: {', '.join(data.REGISTRY)}")
    failed = download(args.names)
    if failed:
        print(f"{failed} file(s) could not be fetched; see the messages above.", file=sys.stderr)
    return 1 if failed else 0
