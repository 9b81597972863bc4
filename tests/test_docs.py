"""The getting-started page runs as written and does what it says."""

import re
import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

PAGE = Path(__file__).resolve().parents[1] / "docs" / "getting_started.rst"


def _python_blocks(text):
    """The ``.. code-block:: python`` blocks of a reStructuredText page."""
    blocks = re.findall(
        r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text, re.MULTILINE
    )
    return [re.sub(r"^   ", "", block, flags=re.MULTILINE) for block in blocks]


@pytest.mark.skipif(not PAGE.exists(), reason="the docs/ folder is not there")
def test_getting_started_runs_and_converges():
    blocks = _python_blocks(PAGE.read_text())
    assert len(blocks) == 4
    namespace = {}
    with warnings.catch_warnings():
        # The page promises a fit that stops early: a warning would break it.
        warnings.simplefilter("error", ConvergenceWarning)
        for block in blocks:
            exec(compile(block, str(PAGE), "exec"), namespace)
    imputer, completed = namespace["imputer"], namespace["completed"]
    assert imputer.n_iter_ < imputer.max_iter
    assert list(completed.columns) == list(namespace["test_missing"].columns)
    assert not completed[namespace["genes"]].isna().any().any()
    # The page quotes a score of about 0.55 after 115 epochs.
    assert 0.5 < namespace["score"] < 0.6
