# SPDX-License-Identifier: BSD-3-Clause
"""Choosing the torch device an estimator trains and predicts on."""

import torch


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn the user's ``device`` parameter into a usable :class:`torch.device`.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` picks CUDA, then Apple MPS, then the CPU. Anything else is
        passed to :class:`torch.device` (``"cpu"``, ``"cuda"``, ``"cuda:1"``).

    Returns
    -------
    torch.device
        The device to use.

    Raises
    ------
    ValueError
        If the string does not name a torch device, or names one that this
        machine does not have.

    Examples
    --------
    >>> from skgain._device import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; expected 'auto', 'cpu', "
            "'cuda', 'cuda:<index>' or 'mps'."
        ) from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on "
                "this machine; use device='auto' or device='cpu'."
            )
        index = resolved.index if resolved.index is not None else 0
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
    elif resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            f"device={device!r} was requested but MPS is not available on this "
            "machine; use device='auto' or device='cpu'."
        )
    return resolved


def widest_float(device: torch.device) -> torch.dtype:
    """The most precise float type of ``device``: float64, or float32 on MPS.

    Apple's MPS backend has no float64 tensors.
    """
    return torch.float32 if device.type == "mps" else torch.float64
