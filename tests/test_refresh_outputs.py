"""tools/run/refresh_outputs.py rewrites a page's checked output blocks from an executed notebook."""

import nbformat
import pytest

from tools.builders import build_notebooks
from tools.pages import lesson
from tools.run import outputs, refresh_outputs

PAGE = '''---
title: "Refresh"
teaching: 1
exercises: 1
---

```python
x = 6
x * 7
```

```output
41
```

Some words.

```python
print(words)
```

```{.output .varies}
old
```

```python
print("kept")
```

```output
first line
...
```

```python
y = 1
```
'''


def executed(tmp_path, page_path, printed, run=None):
    """The page's notebook as if executed, each cell printing ``printed[source]``; ``run``: its metadata."""
    notebook = build_notebooks.build(page_path)
    page = lesson.parse(page_path)
    cells = lesson.cells_by_id(notebook)
    for code, _ in page.code():
        kind, text = printed.get(code.source, (None, None))
        if kind == "value":
            cells[code.id].outputs = [nbformat.v4.new_output(
                "execute_result", data={"text/plain": text}, execution_count=1)]
        elif kind == "stdout":
            cells[code.id].outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    # Cells are found by id, not position: shuffle them to prove it.
    notebook.cells = notebook.cells[::-1]
    notebook.metadata[outputs.RUN_KEY] = run or {"backend": None, "variables": {}, "standin": False}
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, path)
    return path


def test_refresh_rewrites_changed_blocks_by_id_and_leaves_the_rest(tmp_path):
    page_path = tmp_path / "99-refresh.md"
    page_path.write_text(PAGE)
    notebook = executed(tmp_path, page_path, {
        "x = 6\nx * 7": ("value", "42"),
        "print(words)": ("stdout", "\x1b[1ma\x1b[0m\nb\n"),
        'print("kept")': ("stdout", "kept\n"),
    })
    notes = refresh_outputs.refresh(page_path, notebook)
    text = page_path.read_text()
    assert "```output\n42\n```" in text
    # What differs between machines is never recorded: a .varies block keeps its placeholder.
    assert "```{.output .varies}\nold\n```" in text
    assert "first line\n...\n" in text  # abbreviated block left alone
    assert text.replace("42", "41") == PAGE
    assert [n.split(": ", 1)[1] for n in notes] == ["output updated", "abbreviated output left alone"]
    # Running it again changes nothing.
    assert refresh_outputs.refresh(page_path, notebook) == ["99-refresh.md:26: abbreviated output left alone"]


def test_refresh_reports_a_cell_that_is_missing_or_silent(tmp_path):
    page_path = tmp_path / "99-refresh.md"
    page_path.write_text(PAGE)
    notebook = executed(tmp_path, page_path, {})
    silent = nbformat.read(notebook, as_version=4)
    for cell in (c for c in silent.cells if c.cell_type == "code"):
        cell.outputs = []
    nbformat.write(silent, notebook)
    assert refresh_outputs.refresh(page_path, notebook)[0] == "99-refresh.md:7: the cell produced no output; block left alone"
    stale = nbformat.read(notebook, as_version=4)
    stale.cells = [c for c in stale.cells if c.source != "x = 6\nx * 7"]
    nbformat.write(stale, notebook)
    notes = refresh_outputs.refresh(page_path, notebook)
    assert notes == ["99-refresh.md:7: not in executed.ipynb as it stands; block left alone: run "
                     "`make notebooks`, then `make lesson` (or `python -m tools.run.execute notebooks/99-refresh.ipynb`)",
                     "99-refresh.md:26: abbreviated output left alone"]  # the .varies block: not a word
    assert page_path.read_text() == PAGE


def test_refresh_refuses_a_run_on_the_stand_in_unless_told(tmp_path):
    page_path = tmp_path / "99-refresh.md"
    page_path.write_text(PAGE)
    notebook = executed(tmp_path, page_path, {"x = 6\nx * 7": ("value", "42")},
                        run={"backend": None, "variables": {}, "standin": True})
    with pytest.raises(refresh_outputs.Refused, match="stand-in images"):
        refresh_outputs.refresh(page_path, notebook)
    assert page_path.read_text() == PAGE
    notebook.rename(tmp_path / "99-refresh.ipynb")
    assert refresh_outputs.main(["--from", str(tmp_path), str(page_path)]) == 1
    assert page_path.read_text() == PAGE
    notebook = tmp_path / "99-refresh.ipynb"
    refresh_outputs.refresh(page_path, notebook, standin_ok=True)
    assert "```output\n42\n```" in page_path.read_text()


SEEDED = """---
title: "Seeded"
teaching: 1
exercises: 1
---

```python
import dlhelpers as dlh
dlh.use_backend("jax")
```

```python
print("loss: 0.5")
```

```{.output .seeded tolerance=0.1}
loss: 0.4
```
"""


def test_seeded_blocks_are_refreshed_only_from_the_pages_backend_and_record_it(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "RECORDED", tmp_path / "recorded-on.yaml")
    page_path = tmp_path / "99-seeded.md"
    page_path.write_text(SEEDED)
    printed = {'print("loss: 0.5")': ("stdout", "loss: 0.5\n")}
    other = executed(tmp_path, page_path, printed, run={"backend": "tensorflow", "variables": {}})
    notes = refresh_outputs.refresh(page_path, other)
    assert page_path.read_text() == SEEDED and "seeded block left alone (Keras ran on tensorflow" in notes[0]
    assert not outputs.RECORDED.exists()
    own = executed(tmp_path, page_path, printed)
    notes = refresh_outputs.refresh(page_path, own)
    assert "loss: 0.5" in page_path.read_text() and "recording environment written" in notes[-1]
    record = outputs.recorded()["99-seeded"]
    assert record == outputs.run_environment("jax") and record["processor"] != "unknown"
