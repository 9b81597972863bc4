# SPDX-License-Identifier: BSD-3-Clause
"""Sphinx configuration of the skgain documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build needs no network. Links to the documentation of scikit-learn,
NumPy, pandas, PyTorch and Python (intersphinx) are only made when the
environment variable ``SKGAIN_DOCS_INTERSPHINX=1`` is set, since fetching
their inventories needs internet access; without it, such references are
rendered as plain text.
"""

import contextlib
import importlib
import io
import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "gen_modules"

# Document the checkout this folder belongs to, even if another copy of skgain
# is installed.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_scripts"))

import changelog  # noqa: E402
import make_figures  # noqa: E402

import skgain  # noqa: E402

# -- Project -----------------------------------------------------------------

project = "skgain"
author = "The skgain developers"
copyright = "The skgain developers, BSD 3-Clause licence"
release = skgain.__version__
version = re.sub(r"(\d+\.\d+)\..*", r"\1", release)

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "README.md",
    # The gallery sources; sphinx-gallery turns them into auto_examples/.
    "examples",
]
default_role = "literal"
nitpicky = False
pygments_style = "sphinx"

# -- API reference: autodoc, autosummary, numpydoc ---------------------------

autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# The API page lists every public name by hand, grouped by module; a name
# exported in ``__all__`` but missing from it fails the build.
API_MODULES = ["skgain", "skgain.datasets", "skgain.metrics", "skgain.preprocessing"]

# -- Cross-project links (intersphinx) ---------------------------------------

INTERSPHINX = os.environ.get("SKGAIN_DOCS_INTERSPHINX", "0") == "1"
if INTERSPHINX:
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
    }
    intersphinx_timeout = 30
else:
    intersphinx_mapping = {}

# -- Gallery -----------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skgain",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"skgain": None},
    "remove_config_comments": True,
    "download_all_examples": False,
    # Timings would be written into the source tree.
    "write_computation_times": False,
    "min_reported_time": 1,
}

# The examples train small networks: one thread avoids the overhead of torch's
# thread pool on them, and of oversubscribing a small shared machine.
try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is a dependency of skgain
    pass

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skgain {release}"
html_static_path = ["_static"]
html_css_files = ["css/skgain.css"]
html_show_sourcelink = False
html_theme_options = {
    "github_url": "https://github.com/skgain/skgain",
    "navbar_align": "left",
    "show_prev_next": True,
    "secondary_sidebar_items": ["page-toc"],
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "getting_started": [], "changelog": []}
html_context = {"default_mode": "light"}


# -- Build-time helpers ------------------------------------------------------


def _api_page_problems():
    """Public names missing from ``api.rst``, and names it lists wrongly."""
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = {}
    module = None
    for line in text.splitlines():
        current = re.match(r"\.\. currentmodule:: (\S+)", line.strip())
        if current:
            module = current.group(1)
            continue
        entry = re.match(r"^ {3}([A-Za-z_]\w*)\s*$", line)
        if entry and module is not None:
            listed.setdefault(module, set()).add(entry.group(1))
    problems = []
    for name in API_MODULES:
        public = {
            n
            for n in importlib.import_module(name).__all__
            if not (n.startswith("__") and n.endswith("__"))
        }
        shown = listed.get(name, set())
        problems += [
            f"docs/api.rst does not list {name}.{n}, which {name}.__all__ exports; "
            "add it to the autosummary of its module."
            for n in sorted(public - shown)
        ]
        problems += [
            f"docs/api.rst lists {name}.{n}, which is not in {name}.__all__."
            for n in sorted(shown - public)
        ]
    return problems


def _check_api_page(app):
    """Report API page problems as Sphinx warnings (errors with -W)."""
    from sphinx.util import logging

    logger = logging.getLogger("skgain-docs")
    for problem in _api_page_problems():
        logger.warning(problem)


def _plain_text_for_foreign_references(app, env, node, contnode):
    """Render references that point into other projects' docs as plain text.

    Methods inherited from scikit-learn (``get_params``, ``set_output``, ...)
    bring docstrings whose references point into scikit-learn's own
    documentation, and numpydoc writes glossary terms such as ``:term:`fit```
    the way scikit-learn does. They resolve through intersphinx when it is
    enabled (its handler runs first); otherwise their text is shown without a
    link. References written in skgain's own pages and docstrings still warn
    when they do not resolve.
    """
    source = node.source or ""
    foreign_docstring = "docstring of " in source and not re.search(
        r"docstring of skgain\b", source
    )
    glossary_term = node.get("reftype") == "term"
    if foreign_docstring or (glossary_term and not INTERSPHINX):
        return contnode
    return None


def _write_if_changed(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _command_help(argv):
    """The help text of the ``skgain`` command, as a terminal 80 wide shows it."""
    from skgain import _cli

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
            _cli.main([*argv, "--help"])
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    return buffer.getvalue()


def _generate(app):
    make_figures.main(GENERATED / "figures")
    changelog.convert(ROOT / "CHANGELOG.md", GENERATED / "changelog.rst.inc")
    _write_if_changed(GENERATED / "cli" / "skgain.txt", _command_help([]))
    _write_if_changed(GENERATED / "cli" / "impute.txt", _command_help(["impute"]))


def setup(app):
    app.connect("builder-inited", _generate)
    app.connect("builder-inited", _check_api_page)
    # After intersphinx, so that its links win when it is enabled.
    app.connect("missing-reference", _plain_text_for_foreign_references, priority=900)
