"""tools/refresh_outputs.py rewrites a page's output blocks from an executed notebook."""

import nbformat

from tools import build_notebooks, lesson, refresh_outputs

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


def executed(tmp_path, page_path, outputs):
    """The page's notebook as if executed, each cell printing ``outputs[code id]``."""
    notebook = build_notebooks.build(page_path)
    page = lesson.parse(page_path)
    cells = lesson.cells_by_id(notebook)
    for code, _ in page.code():
        kind, text = outputs.get(code.source, (None, None))
        if kind == "value":
            cells[code.id].outputs = [nbformat.v4.new_output(
                "execute_result", data={"text/plain": text}, execution_count=1)]
        elif kind == "stdout":
            cells[code.id].outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    # Cells are found by id, not position: shuffle them to prove it.
    notebook.cells = notebook.cells[::-1]
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
    assert "```{.output .varies}\na\nb\n```" in text  # colour codes removed
    assert "first line\n...\n" in text  # abbreviated block left alone
    assert text.replace("42", "41").replace("a\nb", "old") == PAGE
    assert [n.split(": ", 1)[1] for n in notes] == [
        "output updated", "output updated", "abbreviated output left alone"]
    # Running it again changes nothing.
    assert refresh_outputs.refresh(page_path, notebook) == ["99-refresh.md:27: abbreviated output left alone"]


def test_refresh_reports_a_cell_that_is_missing_or_silent(tmp_path):
    page_path = tmp_path / "99-refresh.md"
    page_path.write_text(PAGE)
    notebook = executed(tmp_path, page_path, {})
    stale = nbformat.read(notebook, as_version=4)
    stale.cells = [c for c in stale.cells if c.source != "x = 6\nx * 7"]
    nbformat.write(stale, notebook)
    notes = refresh_outputs.refresh(page_path, notebook)
    assert notes[0] == "99-refresh.md:7: not in executed.ipynb as it stands; regenerate and rerun it"
    assert notes[1] == "99-refresh.md:18: the cell produced no output; block left alone"
    assert page_path.read_text() == PAGE
