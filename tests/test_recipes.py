"""CONTRIBUTING.md's recipe "Add an episode", followed with a throwaway 60-minute episode.

In a copy of the repository: a page and its config.yaml entry, then the
recipe's commands (the instructor schedule is generated from the pages). An hour more does not fit
two days, so the schedule test fails and says what to do; following it, the
page becomes a bonus page. It must then be generated into both notebooks, pass
the page tests, run and be judged like any other (a bound included), and appear
on the site with its output.
"""

import shutil
import subprocess
import sys

from tools import layout
from tools.pages import lesson

PAGE = '''---
title: "A throwaway episode"
teaching: 45
exercises: 15
summary: "a sum, checked and bounded"
data: "–"
schedule: "a test's"
---

::: questions
- Does the recipe work?
:::

::: objectives
- Follow CONTRIBUTING.md's recipe for a new episode.
:::

```python
import dlhelpers as dlh

dlh.use_backend("jax")
```

A sum, checked, and a result with a bound:

```python
total = sum(range(5))
print(f"throwaway total: {total}")
```

```{.output .result at-least=10}
throwaway total: 10
```

::: challenge
## Another sum
What do the numbers 0, 1 and 2 add up to? Let Python tell you.

::: solution
```python
sum(range(3))
```

```output
3
```
:::
:::

::: keypoints
- A page and a config entry make an episode.
:::
'''


def run(args, cwd):
    done = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_a_new_episode_by_the_recipe(tmp_path, executed):
    # The repository's files as they stand, committed or not (never what git ignores).
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=layout.ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    copy = tmp_path / "lesson"
    for name in filter(None, files):
        if (layout.ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(layout.ROOT / name, copy / name)
    # 1-3: the page (front matter with the tables' fields) and its config entry.
    (copy / "episodes" / "07-throwaway.md").write_text(PAGE)
    config = (copy / "config.yaml").read_text()
    last_episode, last_bonus = (f"- {lesson.config()[key][-1]}\n" for key in ("episodes", "bonus"))
    (copy / "config.yaml").write_text(config.replace(last_episode, f"{last_episode}- 07-throwaway.md\n"))
    notes = copy / "instructors" / "instructor-notes.md"
    run(["-m", "tools.builders.tables"], copy)
    assert "| 7 A throwaway episode | 45 | 15 | a test's |" in notes.read_text()
    # 4: an hour more does not fit two days; the test says so and what to do.
    full = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           "tests/test_pages.py", "-k", "schedule"], cwd=copy, capture_output=True, text=True)
    assert full.returncode != 0 and "list the new page under `bonus:` in config.yaml" in full.stdout, full.stdout
    # Following it: a bonus page, outside the schedule.
    (copy / "config.yaml").write_text(config.replace(last_bonus, f"{last_bonus}- 07-throwaway.md\n"))
    run(["-m", "tools.builders.tables"], copy)
    assert "throwaway" not in notes.read_text()
    # 5: make notebooks (notebooks and tables), then the tests that judge a page.
    run(["-m", "tools.builders.build_notebooks"], copy)
    assert (copy / "notebooks" / "07-throwaway.ipynb").is_file()
    assert (copy / "notebooks" / "exercises" / "07-throwaway-exercises.ipynb").is_file()
    out = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
               "tests/test_pages.py", "-k", "throwaway or schedule or listed_once or match_their_pages or tables"], copy)
    assert " passed" in out and "failed" not in out
    # Run and judged as every notebook is (tools/run/execute.py, tools/run/outputs.py).
    run(["-m", "tools.run.execute", "notebooks/07-throwaway.ipynb"], copy)
    judged = run(["-c", "import nbformat\nfrom tools import layout\n"
                  "from tools.pages import lesson\nfrom tools.run import outputs\n"
                  "page = lesson.parse(layout.page('07-throwaway'))\n"
                  "nb = nbformat.read(layout.executed('07-throwaway'), as_version=4)\n"
                  "print(outputs.differences(page, nb), outputs.bound_failures(page, nb), outputs.results(page, nb))"],
                 copy)
    assert judged.strip() == "[] [] {'throwaway total': 10.0}", judged
    # The site, from this session's runs of the other notebooks and this one's.
    for page in lesson.episodes():
        row, _ = executed(page)
        assert row["error"] is None
        shutil.copy(layout.executed(page.name), copy / "build" / "notebooks")
    run(["-m", "tools.builders.build_site"], copy)
    html = (copy / "build" / "site" / "07-throwaway.html").read_text()
    assert "A throwaway episode" in html and "throwaway total: 10" in html
