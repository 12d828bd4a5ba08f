"""Command line: ``python -m dlhelpers check | download | serve``."""

from __future__ import annotations

import argparse
import os
import sys

from . import cache
from .checks import check_setup


def download(names: list[str]) -> int:
    """Fetch and verify the named files (all by default); return the number that failed.

    Reports each file in the same states as ``check``: ok, missing, corrupt
    or unreadable, with the fix.
    """
    for path in cache.remove_stray_partials():
        print(f"removed {path} (left by an interrupted download)")
    failed = 0
    for name in names or list(cache.REGISTRY):
        before = cache.status(name)
        if before.ok:  # verified just now; nothing to fetch
            print(f"{'ok':<10} {name}: {before.path} (already cached; {before.detail})")
            continue
        try:
            path = cache.fetch(name, progress=True)
        except cache.DataError as error:
            failed += 1
            state = before.state if before.state != "missing" else (
                "corrupt" if isinstance(error, cache.DataCorruptError) else "missing")
            print(f"{state:<10} {name}: {error}", file=sys.stderr)
        else:
            source = cache.source_url(cache.REGISTRY[name])
            print(f"{'ok':<10} {name}: {path} (downloaded from {source}; {cache.status(name).detail})")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dlhelpers",
        description="Helpers for the lesson 'Introduction to deep learning with Keras'.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check the installation and verify every cached data file")
    check.add_argument("--no-data", action="store_true", help="check the installation only")
    get = commands.add_parser("download", help="download and verify the lesson's data files")
    get.add_argument("names", nargs="*", help=f"files to fetch (default all): {', '.join(cache.REGISTRY)}")
    get.add_argument("--mirror", metavar="URL",
                     help=f"download from a venue mirror (same as setting {cache.MIRROR_ENV})")
    serve = commands.add_parser("serve", help="serve the verified cache to learners on the local network")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return 0 if check_setup(data=not args.no_data) else 1
        if args.command == "serve":
            from .mirror import serve as run_server

            return run_server(args.host, args.port)
        unknown = [n for n in args.names if n not in cache.REGISTRY]
        if unknown:
            parser.error(f"unknown file(s) {', '.join(unknown)}; known: {', '.join(cache.REGISTRY)}")
        if args.mirror:
            os.environ[cache.MIRROR_ENV] = args.mirror
        failed = download(args.names)
    except cache.DataError as error:  # e.g. an environment variable it cannot read
        print(f"PROBLEM: {error}", file=sys.stderr)
        return 2
    if failed:
        print(f"{failed} file(s) could not be fetched; see the messages above.", file=sys.stderr)
    return 1 if failed else 0
