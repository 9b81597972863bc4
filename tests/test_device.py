"""Resolution of the ``device`` parameter to a torch device."""

import pytest
import torch

from skgain._device import resolve_device

HAS_CUDA = torch.cuda.is_available()
HAS_MPS = torch.backends.mps.is_available()


def test_cpu():
    device = resolve_device("cpu")
    assert isinstance(device, torch.device)
    assert device == torch.device("cpu")


def test_device_instance_accepted():
    device = resolve_device(torch.device("cpu"))
    assert isinstance(device, torch.device)
    assert device.type == "cpu"


@pytest.mark.skipif(HAS_CUDA or HAS_MPS, reason="an accelerator is available")
def test_auto_without_accelerator_is_cpu():
    assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.skipif(not HAS_CUDA, reason="needs CUDA")
def test_auto_prefers_cuda():
    assert resolve_device("auto").type == "cuda"


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "", "CPU!"])
def test_bad_string(bad):
    with pytest.raises(ValueError, match="is not a torch device; expected 'auto'"):
        resolve_device(bad)


@pytest.mark.skipif(HAS_CUDA, reason="CUDA is available")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", torch.device("cuda")])
def test_cuda_without_cuda(name):
    with pytest.raises(ValueError, match="CUDA is not available on this machine"):
        resolve_device(name)


@pytest.mark.skipif(HAS_MPS, reason="MPS is available")
def test_mps_without_mps():
    with pytest.raises(ValueError, match="MPS is not available on this machine"):
        resolve_device("mps")


@pytest.mark.skipif(not HAS_CUDA, reason="needs CUDA")
def test_cuda_index_resolves():
    device = resolve_device("cuda:0")
    assert device.type == "cuda"
    assert device.index == 0
    assert resolve_device(torch.device("cuda:0")) == device


@pytest.mark.skipif(not HAS_CUDA, reason="needs CUDA")
def test_cuda_index_beyond_device_count():
    index = torch.cuda.device_count()
    with pytest.raises(ValueError, match=r"this machine has \d+ CUDA device"):
        resolve_device(f"cuda:{index}")
