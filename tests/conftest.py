"""Shared test configuration."""

import pytest
import torch

from skgain import _networks


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """Run torch on one thread during the tests.

    The networks in the tests are small, so a second thread buys little, and
    on a busy machine torch's spinning worker threads can slow a test tenfold.
    The tests check behaviour, never speed.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(autouse=True)
def custom_wide_products(monkeypatch):
    """Let the layers use wide_product whatever the processor's vendor.

    On Intel processors the layers leave their gene-wide products to
    torch.mm; without this, the tests of the wide path would test it only on
    other processors. The tests of that choice set the switch themselves.
    """
    monkeypatch.setattr(_networks, "_CUSTOM_WIDE_PRODUCTS", True)


# wide_product's two ways: oneDNN's linear primitive, and MKL in blocks of
# columns (where PyTorch has no oneDNN, or it is disabled).
LIBRARIES = [
    pytest.param(
        True,
        id="onednn",
        marks=pytest.mark.skipif(
            _networks._ONEDNN_LINEAR is None, reason="PyTorch built without oneDNN"
        ),
    ),
    pytest.param(False, id="blocks"),
]


@pytest.fixture(params=LIBRARIES)
def library(request, monkeypatch):
    """Run the test with oneDNN enabled, then disabled; count its calls."""
    onednn = request.param
    calls = []
    linear = _networks._ONEDNN_LINEAR
    if linear is not None:

        def counted_linear(*args):
            calls.append(args)
            return linear(*args)

        monkeypatch.setattr(_networks, "_ONEDNN_LINEAR", counted_linear)
    monkeypatch.setattr(torch.backends.mkldnn, "enabled", onednn)
    return onednn, calls
