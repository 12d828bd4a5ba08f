"""The rules between the repository's parts (CONTRIBUTING: "Rules between the parts")."""

import ast
import subprocess
import sys

import pytest

from tools.layout import ROOT

HEAVY = ("pandas", "matplotlib", "keras", "tensorflow", "jax")


def _loaded_after(code: str) -> set[str]:
    """The top-level modules loaded in a fresh interpreter after running ``code``."""
    done = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_site_builder_and_the_lock_reader_load_no_plotting_data_or_learning_library():
    loaded = _loaded_after("import tools.builders.build_site, tools.project\n"
                           "tools.project.locked(open('requirements.txt').read())")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    # The site runs and builds nothing.
    assert not loaded & {"tools.builders.build_notebooks", "tools.run.execute", "tools.builders.draw_figures"}


def test_importing_the_helpers_loads_a_module_only_when_its_helper_is_used():
    assert not _loaded_after("import dlhelpers") & set(HEAVY)
    assert "pandas" in _loaded_after("import dlhelpers as dlh\ndlh.load_penguins")


def _private_uses(tree: ast.AST) -> list[str]:
    """``from dlhelpers… import _x``, ``import dlhelpers._x`` and ``name._x`` on a name bound to the package."""
    bound, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dlhelpers"):
            for alias in node.names:
                if alias.name.startswith("_") or any(p.startswith("_") for p in node.module.split(".")):
                    found.append(f"from {node.module} import {alias.name}")
                bound.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("dlhelpers"):
                    if any(p.startswith("_") for p in alias.name.split(".")):
                        found.append(f"import {alias.name}")
                    bound.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name) and node.value.id in bound):
            found.append(f"{node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "tools").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_tools_use_only_the_packages_public_names(path):
    assert _private_uses(ast.parse(path.read_text())) == []


def test_the_private_name_check_can_fail():
    code = "from dlhelpers import checks\nimport dlhelpers as dlh\nchecks._installed('x')\ndlh._WHERE\n"
    assert sorted(_private_uses(ast.parse(code))) == ["checks._installed", "dlh._WHERE"]
    assert _private_uses(ast.parse("from dlhelpers.checks import _installed")) != []


def _imported(tree: ast.AST) -> set[str]:
    """The top-level names of every module a file imports (absolute imports only)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "src" / "dlhelpers").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_package_imports_neither_the_builder_nor_the_tests(path):
    """Learners install the package alone (Colab, a wheel from the room): it must not need the checkout."""
    assert not _imported(ast.parse(path.read_text())) & {"tools", "tests"}


@pytest.mark.parametrize("path", sorted((ROOT / "tools").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_builder_does_not_import_the_tests(path):
    assert "tests" not in _imported(ast.parse(path.read_text()))


def test_the_import_checks_can_fail():
    assert _imported(ast.parse("from tools.run import execute\nimport tests.prose\nfrom . import cache")) == {
        "tools", "tests"}
