"""Lesson pages are the one source; notebooks are generated from them."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "tools" / "build_notebooks.py")
build_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_notebooks)

PAGES = build_notebooks.pages()


def test_there_are_pages():
    assert PAGES, "no lesson pages under episodes/"


def test_committed_notebooks_match_their_pages():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_notebooks.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_has_carpentries_structure(page):
    text = page.read_text()
    meta, body = build_notebooks.split_front_matter(text)
    assert meta["title"]
    assert int(meta["teaching"]) >= 0 and int(meta["exercises"]) >= 0
    for block in ("questions", "objectives", "keypoints"):
        assert re.search(rf"^:+ {block}\s*$", body, re.M), f"no {block} block"
    challenges = len(re.findall(r"^:+ challenge\s*$", body, re.M))
    solutions = len(re.findall(r"^:+ solution\s*$", body, re.M))
    assert challenges >= 1 and solutions >= challenges


SAMPLE = '''---
title: "Sample"
teaching: 1
exercises: 1
---

::: questions
- Why?
:::

```python
x = 2
x * 3
```

```output
6
```

```python
print("printed")
```

```output
printed
```

```python
import random
random.random()
```

```{.output .varies}
0.123
```

::: challenge
## Try it
Compute it.
::: solution
```python
x + 1
```
:::
:::

::: instructor
Hidden from learners' notebooks.
:::

```{.python .no-test}
download_something()
```
'''


def test_generator_turns_output_blocks_into_checked_outputs(tmp_path):
    page = tmp_path / "99-sample.md"
    page.write_text(SAMPLE)
    cells = build_notebooks.build(page).cells
    code = [c for c in cells if c.cell_type == "code"]
    setup, value, printed, varies, solution, skipped = code
    assert "nbval-ignore-output" in setup.metadata["tags"]
    assert value.outputs[0].output_type == "execute_result"
    assert value.outputs[0].data["text/plain"] == "6"
    assert "tags" not in value.metadata  # checked by nbval
    assert printed.outputs[0].text == "printed\n"
    assert varies.outputs == [] and varies.metadata["tags"] == ["nbval-ignore-output"]
    assert "solution" in solution.metadata["tags"]
    assert {"nbval-skip", "skip-execution"} <= set(skipped.metadata["tags"])
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert "### Challenge: Try it" in markdown and "#### Solution" in markdown
    assert "Hidden from learners" not in markdown
    assert "colab.research.google.com/github/" in markdown


def test_generator_rejects_an_output_without_code(tmp_path):
    page = tmp_path / "98-bad.md"
    page.write_text('---\ntitle: "Bad"\nteaching: 1\nexercises: 1\n---\n\n```output\n1\n```\n')
    with pytest.raises(ValueError, match="must follow a python block"):
        build_notebooks.build(page)


def test_generator_rejects_an_output_after_text(tmp_path):
    page = tmp_path / "97-bad.md"
    page.write_text('---\ntitle: "Bad"\nteaching: 1\nexercises: 1\n---\n\n'
                    '```python\nx = 1\n```\n\nSome words.\n\n```output\n1\n```\n')
    with pytest.raises(ValueError, match="must follow a python block"):
        build_notebooks.build(page)
