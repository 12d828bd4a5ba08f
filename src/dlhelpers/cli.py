"""Command line: ``python -m dlhelpers check | download | serve``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from . import cache
from .checks import check_setup


def download(names: list[str]) -> int:
    """Fetch and verify the named files (all by default); return the number that failed.

    One line per file, in the states ``check`` uses (ok, missing, corrupt,
    unreadable). When downloads fail, the cause is named once (no network, a
    proxy, a Wi-Fi sign-in page, ...) and the fix is given once, with each
    file's address and where to save it on its own line above.
    """
    for path in cache.remove_stray_partials():
        print(f"removed {path} (left by an interrupted download)")
    failed = 0
    causes: list[str] = []
    for name in names or list(cache.REGISTRY):
        optional = cache.REGISTRY[name].optional and not names
        before = cache.status(name)
        if before.ok:  # verified just now; nothing to fetch
            print(f"{'ok':<10} {name}: {before.path} (already cached; {before.detail})", flush=True)
            continue
        try:
            path = cache.fetch(name, progress=True)
        except cache.DataError as error:
            state = before.state if before.state != "missing" else (
                "corrupt" if isinstance(error, cache.DataCorruptError) else "missing")
            if error.cause is None:  # not a download: a bad cached file, a setting
                line = str(error).splitlines()[0]
            else:
                line = f"not downloaded: {error.url} -> {error.target}" + (
                    f" ({error.kept:,} bytes kept: the next try goes on from there)" if error.kept else "")
            if optional:  # an optional exercise's file: say so, and neither fail nor ask for a fix
                because = f" ({error.cause})" if error.cause else ""
                print(f"{state:<10} {name} (optional, only for an optional exercise; skipped): {line}{because}",
                      flush=True)
                continue
            if error.cause is not None and error.cause not in causes:
                causes.append(error.cause)
            failed += 1
            print(f"{state:<10} {name}: {line}", file=sys.stderr)
        else:
            source = cache.source_url(cache.REGISTRY[name])
            print(f"{'ok':<10} {name}: {path} (downloaded from {source}; {cache.status(name).detail})")
    if causes:
        print(f"Cause: {'; '.join(causes)}.", file=sys.stderr)
        fixes = list(dict.fromkeys(cache.fix_for(cause) for cause in causes))
        network = ("connect to the internet (on a venue's Wi-Fi, open any web page first and accept its "
                   "sign-in page) and run `python -m dlhelpers download` again") if not cache.mirror_address() else (
                   "check this computer's connection to the mirror (the same network, a good Wi-Fi signal) "
                   "and run `python -m dlhelpers download` again (what arrived is kept, and the next try "
                   "goes on from there)")
        said = "; ".join(network if fix is None else fix for fix in fixes)
        print(f"Fix: {said}; or save each address above by hand as the file named after its arrow "
              f"(the cache folder is {cache.cache_dir()}; {cache.CACHE_ENV} sets another, and "
              f"{cache.MIRROR_ENV} a venue mirror).", file=sys.stderr)
    return failed


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return port


class _terminate_as_interrupt:
    """During a download, SIGTERM (`kill`) and SIGHUP (a closed terminal) stop it like Ctrl-C: cleanly."""

    SIGNALS = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]

    def __enter__(self):
        def stop(signum, frame):
            raise KeyboardInterrupt
        self.saved = {}
        try:
            for number in self.SIGNALS:
                self.saved[number] = signal.signal(number, stop)
        except ValueError:  # not the main thread
            pass

    def __exit__(self, *exc):
        for number, handler in self.saved.items():
            signal.signal(number, handler)


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
    serve.add_argument("--port", type=_port, default=8765, help="port to listen on (default 8765)")
    serve.add_argument("--host", default=None,
                       help="address to listen on (default: this machine's address on the local "
                            "network; 0.0.0.0 for every interface)")
    serve.add_argument("--wheels", metavar="DIR", type=Path, default=None,
                       help="also serve this wheelhouse, for pip (`python -m tools.maintain.wheelhouse` fills it)")
    serve.add_argument("--lock", type=Path, default=None,
                       help="the lock to check the wheels against (default: requirements.txt, in the "
                            "lesson's folder)")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return 0 if check_setup(data=not args.no_data) else 1
        if args.command == "serve":
            from .mirror import serve as run_server

            return run_server(args.host, args.port, args.wheels, args.lock)
        unknown = [n for n in args.names if n not in cache.REGISTRY]
        if unknown:
            parser.error(f"unknown file(s) {', '.join(unknown)}; known: {', '.join(cache.REGISTRY)}")
        saved = os.environ.get(cache.MIRROR_ENV)
        if args.mirror is not None:  # for this command only, not for its caller afterwards
            os.environ[cache.MIRROR_ENV] = args.mirror
        try:
            cache.mirror_address()  # a malformed address is said once, before anything else
            with _terminate_as_interrupt():
                failed = download(args.names)
        finally:
            if saved is None:
                os.environ.pop(cache.MIRROR_ENV, None)
            else:
                os.environ[cache.MIRROR_ENV] = saved
    except KeyboardInterrupt:
        print("\nStopped; no partial file was kept. Run the same command again to go on.",
              file=sys.stderr)
        return 130
    except cache.DataError as error:  # e.g. an environment variable it cannot read
        print(f"PROBLEM: {error}", file=sys.stderr)
        return 2
    if failed:
        print(f"{failed} file(s) could not be fetched.", file=sys.stderr)
    return 1 if failed else 0
