"""LoRA adapters re-parameterised by their singular values: ESSA's search space.

After the supervised warm start each adapter (``delta W = s * B @ A``, ``B`` out x r, ``A`` r x in)
is factored by SVD once; the singular vectors are frozen and only the top singular values move.
Two factorisations are offered:

* ``"factors"`` (the paper, section 3.2): ``A = U_A S_A V_A^T`` and ``B = U_B S_B V_B^T`` each on
  its own, so a candidate holds offsets to both ``S_A`` and ``S_B`` (2 x rank values per adapted
  matrix);
* ``"product"``: ``B @ A = U S V^T`` (rank r), so a candidate holds offsets to ``S`` (rank values
  per adapted matrix), written back as ``B = U``, ``A = S V^T``.

With the offsets at zero either one reproduces the adapter exactly (up to float rounding). A
candidate is a vector of **additive offsets** to the top ``floor(alpha * r)`` singular values of
each factor (the paper: "adding the candidate's singular-value offsets"), written into the LoRA
weights in place, so the model runs as an ordinary peft model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

__all__ = ["SingularValueSpace", "lora_layers", "quantize_base_layers"]

Mode = Literal["factors", "product"]


def lora_layers(model: nn.Module, adapter: str = "default") -> list[tuple[str, nn.Module]]:
    """``(name, module)`` of every peft LoRA layer holding ``adapter``, in a stable order."""
    found = []
    for name, module in model.named_modules():
        lora_a = getattr(module, "lora_A", None)
        if isinstance(lora_a, nn.ModuleDict) and adapter in lora_a:
            found.append((name, module))
    if not found:
        raise ValueError("the model has no LoRA adapters to re-parameterise (load it with LoRA)")
    return found


@dataclass
class _Factor:
    """One weight written as ``U diag(S + offset) Vh``; ``k`` leading values are searched."""

    weight: nn.Parameter
    u: torch.Tensor
    s: torch.Tensor
    vh: torch.Tensor
    k: int
    # In "product" mode the second weight (A = diag(S) Vh) and the first (B = U) are written
    # together: ``pair`` is A's parameter and this factor's weight is B's.
    pair: nn.Parameter | None = None


class SingularValueSpace:
    """The singular values of a model's LoRA adapters as one flat vector of offsets.

    Args:
        model: A peft model whose adapters hold the warm-started weights.
        alpha: Fraction of each factor's singular values that is searched (``floor(alpha * r)``
            leading ones; paper default 1.0).
        mode: ``"factors"`` (paper) or ``"product"`` (see the module docstring).
        adapter: The peft adapter name.
    """

    def __init__(
        self, model: nn.Module, alpha: float = 1.0, mode: Mode = "factors", adapter: str = "default"
    ):
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        self.mode = mode
        self.factors: list[_Factor] = []
        with torch.no_grad():
            for _, layer in lora_layers(model, adapter):
                a = layer.lora_A[adapter].weight
                b = layer.lora_B[adapter].weight
                rank = a.shape[0]
                k = math.floor(alpha * rank + 1e-9)
                if mode == "factors":
                    for weight in (a, b):
                        u, s, vh = torch.linalg.svd(weight.detach().double(), full_matrices=False)
                        self.factors.append(_Factor(weight, u, s, vh, k))
                elif mode == "product":
                    u, s, vh = torch.linalg.svd(
                        (b.detach().double() @ a.detach().double()), full_matrices=False
                    )
                    self.factors.append(_Factor(b, u[:, :rank], s[:rank], vh[:rank], k, pair=a))
                else:
                    raise ValueError(f"mode must be 'factors' or 'product', got {mode!r}")
        self.dim = sum(f.k for f in self.factors)
        if self.dim == 0:
            raise ValueError(f"alpha={alpha} leaves no singular value to search (rank too low)")

    def singular_values(self) -> np.ndarray:
        """The warm start's searched singular values (the point offsets are added to)."""
        return np.concatenate([f.s[: f.k].numpy() for f in self.factors])

    @torch.no_grad()
    def set(self, offsets: np.ndarray | Sequence[float]) -> None:
        """Write the adapter weights for ``S + offsets`` (zeros: the warm start itself)."""
        offsets = np.asarray(offsets, dtype=np.float64)
        if offsets.shape != (self.dim,):
            raise ValueError(f"expected {self.dim} offsets, got shape {offsets.shape}")
        position = 0
        for f in self.factors:
            s = f.s.clone()
            s[: f.k] += torch.from_numpy(offsets[position : position + f.k])
            position += f.k
            if f.pair is None:
                f.weight.copy_((f.u * s) @ f.vh)
            else:  # product: B = U, A = diag(S) Vh
                f.weight.copy_(f.u)
                f.pair.copy_(s.unsqueeze(1) * f.vh)


def quantize_base_layers(model: nn.Module) -> int:
    """int8 dynamic quantisation (CPU) of the frozen base weights under every LoRA layer.

    The adapters stay in float (a candidate is written into them), so each candidate still
    costs one small copy. Returns how many layers were quantised. Uses
    ``torch.ao.quantization.quantize_dynamic``, which torch has deprecated in favour of
    ``torchao`` but still ships.
    """
    import warnings

    count = 0
    for _, layer in lora_layers(model):
        base = layer.base_layer
        if isinstance(base, nn.Linear):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wrapper = nn.Sequential(base)
                quantized = torch.ao.quantization.quantize_dynamic(
                    wrapper, {nn.Linear}, dtype=torch.qint8
                )
            layer.base_layer = quantized[0]
            count += 1
    return count
