"""The lock's entries (requirements.txt, written by uv with ``make lock``): the one reader.

The venue mirror checks each wheel it serves against them; the builder's
wheelhouse (tools/maintain/wheelhouse.py) and its lock checks read them too.
Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Locked:
    """One entry of the lock: a package at one version, where it applies, its files' hashes."""
    name: str
    version: str
    marker: str | None
    hashes: tuple[str, ...]

    def line(self) -> str:
        """The entry for a requirements file, without its marker (already evaluated)."""
        return " ".join([f"{self.name}=={self.version}", *(f"--hash=sha256:{h}" for h in self.hashes)])


def read_lock(text: str) -> list[Locked]:
    """The entries of a lock written by uv (``make lock``)."""
    entries = []
    joined = re.sub(r"\\\n", " ", text)  # an entry's continuation lines
    for line in joined.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==(\S+?)\s*(?:;\s*(.*?))?\s*(--hash=.*)?$", line)
        if match:
            hashes = tuple(re.findall(r"--hash=sha256:([0-9a-f]{64})", match[4] or ""))
            entries.append(Locked(match[1], match[2], (match[3] or "").strip() or None, hashes))
    return entries
