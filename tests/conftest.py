"""Shared test configuration."""

import pytest
import torch


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
