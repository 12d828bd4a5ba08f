"""Files generated from the repository's sources: write them, or check they are current.

Shared by tools/builders/build_notebooks.py (notebooks from pages) and
tools/builders/draw_figures.py (diagrams from drawing functions).
"""

from __future__ import annotations

from pathlib import Path

from tools.layout import ROOT



def sync(wanted: dict[Path, bytes], existing: list[Path], check: bool, *,
         stale: str, orphan: str, fix: str) -> int:
    """Write every file of ``wanted`` whose content differs (only report with ``check``).

    ``existing`` are the files already there; those not in ``wanted`` are
    orphans. Messages: ``stale`` / ``orphan`` describe such a file, ``fix``
    says how to regenerate. Returns 1 when ``check`` finds anything, else 0.
    """
    differ = []
    for path, content in wanted.items():
        if path.exists() and path.read_bytes() == content:
            continue
        differ.append(path.relative_to(ROOT))
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            print(f"wrote {path.relative_to(ROOT)}")
    orphans = sorted(p.relative_to(ROOT) for p in existing if p not in wanted)
    for path in differ if check else []:
        print(f"{stale}: {path}")
    for path in orphans:
        print(f"{orphan}: {path}" + ("" if check else " (delete it if its source was removed)"))
    if check and (differ or orphans):
        print(fix)
        return 1
    return 0
