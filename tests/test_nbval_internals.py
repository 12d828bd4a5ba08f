"""conftest.py uses two things nbval has no option for; fail clearly when nbval changes them."""

import importlib.metadata

import pytest
from nbval.plugin import IPyNbCell, IPyNbFile

import conftest

CLASSES = {"IPyNbFile": IPyNbFile, "IPyNbCell": IPyNbCell}


@pytest.mark.parametrize("class_name", sorted(conftest.NBVAL_ATTRIBUTES))
def test_nbval_still_has_the_attributes_conftest_uses(class_name, request):
    """Read off a live collector and cell of this very test run where there is one."""
    version = importlib.metadata.version("nbval")
    wanted = conftest.NBVAL_ATTRIBUTES[class_name]
    live = [item.parent if class_name == "IPyNbFile" else item
            for item in request.session.items if isinstance(item, IPyNbCell)]
    if not live:
        pytest.skip("no notebook collected in this run")
    missing = [name for name in wanted if not hasattr(live[0], name)]
    assert not missing, (
        f"nbval {version} has no {class_name}.{', '.join(missing)}, which conftest.py uses to "
        "compare a table's text without its HTML and to keep each executed notebook for the "
        "site. Pin the nbval version in pyproject.toml that has them, or update conftest.py.")
    assert isinstance(getattr(live[0], "skip_compare", ()), tuple) or class_name != "IPyNbFile"
    if class_name == "IPyNbFile":
        assert "text/html" in live[0].skip_compare, "conftest.py's patch no longer takes effect"
