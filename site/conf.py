"""Sphinx settings for the lesson website; built by tools/builders/build_site.py (`make site`).

The sources Sphinx reads are generated under build/site-src/ from the lesson
pages; edit the pages, not those files. The settings that depend on the build
(html_extra_path, the repository's address) come from tools/builders/build_site.py as
``-D`` options.
"""

project = "Introduction to deep learning with Keras"
author = "The lesson's contributors"
copyright = "the lesson's contributors; text CC BY 4.0, code MIT"

extensions = [
    "myst_parser",              # the pages are MyST markdown
    "sphinx_exercise",          # challenges and their solutions
    "sphinx_togglebutton",      # solutions and instructor notes collapsed until clicked
    "sphinx-mathjax-offline",   # a local MathJax copy: no CDN
]
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
exclude_patterns = ["_extra"]
# The notebooks the pages link to, copied as they are: set by the builder to
# build/site-src/_extra (a path relative to this folder would miss it).
html_extra_path = []

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_css_files = ["lesson.css"]
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "repository_url": "",             # set by the builder, from pyproject.toml
    "use_repository_button": False,   # an icon link would be fine, but keep the page local
    "use_download_button": False,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
togglebutton_hint = "Show"
togglebutton_hint_hide = "Hide"
