"""Attention mechanisms: KV cache bytes and attention FLOPs of a model at a context length.

A model's per-layer schedule decides which mechanism each layer runs (:func:`layer_schedule`): dense
MHA/GQA/MQA (:mod:`.dense`), MLA (:mod:`.mla`), DSA (:mod:`.dsa`), and for DeepSeek-V4 its
``compress_ratios`` (0 = sliding window only :mod:`.swa`, 4 = CSA :mod:`.csa`, 128 = HCA :mod:`.hca`); for
DeepSeek-V4.1 the CSA2 source / reindex / reuse layers of :mod:`.csa2` (decoder layers prefill only their last
``prefill_tail`` positions).
Whole-model figures sum the layers: ``Σ_layers f_layer(t)``. MTP layers (the last entries of V4's
``compress_ratios``; one extra main-type layer for V3-style models) count only with ``include_mtp``.

Every function is vectorised over an array of context lengths ``t`` (tokens in the sequence, the decoded
token included) and returns float64 arrays of the same shape. FLOPs are 2 × MACs. The closed forms are held
equal to the numpy simulation in :mod:`.sim` by ``tests/unit/test_attention_sim.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike

from costmodel.attention.common import KV_DTYPES, KvDtype, tokens
from costmodel.attention.csa import CSA
from costmodel.attention.csa2 import CSA2Reindex, CSA2Reuse, CSA2Source, csa2_layers
from costmodel.attention.dense import DenseAttention
from costmodel.attention.dsa import DSA
from costmodel.attention.hca import HCA
from costmodel.attention.mla import MLA
from costmodel.attention.swa import V4Attention
from costmodel.catalog import Model, ModelConfig
from costmodel.catalog.memo import by_row_identity
from costmodel.catalog.units import FloatArray

__all__ = [
    "CSA",
    "DSA",
    "HCA",
    "KV_DTYPES",
    "MLA",
    "CSA2Reindex",
    "CSA2Reuse",
    "CSA2Source",
    "DenseAttention",
    "KvDtype",
    "Mechanism",
    "NoArchitectureError",
    "V4Attention",
    "attention_flops_per_token",
    "attention_index_flops_per_token",
    "attention_prefill_flops",
    "kv_cache_bytes",
    "kv_read_bytes_per_token",
    "layer_mechanisms",
    "layer_schedule",
]


class NoArchitectureError(ValueError):
    """The model has no published architecture (API-only, or open weights whose config is not known), so nothing
    can be computed from a config."""


class Mechanism(Protocol):
    """What every per-layer mechanism provides (all arrays float64, ``t`` = tokens incl. the decoded one)."""

    @property
    def kind(self) -> str:
        """``mha`` | ``gqa`` | ``mqa`` | ``mla`` | ``dsa`` | ``csa`` | ``hca`` | ``swa`` | ``csa2_*``."""
        ...

    def kv_cache_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes stored for ``t`` tokens."""
        ...

    def kv_read_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes read to decode the token at position ``t``."""
        ...

    def macs(self, t: FloatArray) -> FloatArray:
        """MACs to decode the token at position ``t``."""
        ...

    def macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} ``macs(t)``."""
        ...

    def prefill_macs_sum(self, n: FloatArray) -> FloatArray:
        """MACs of prefilling positions 1..n with the kernels engines run for prompts."""
        ...

    def index_macs_sum(self, n: FloatArray) -> FloatArray:
        """The lightning indexer's share of ``macs_sum(n)`` and ``prefill_macs_sum(n)``."""
        ...


def _why(model: Model) -> str:
    """Why a model has no config: closed weights, or open weights whose config is not known."""
    return "API-only" if not model.open_weights else "open weights, config not known"


def _config(model: Model) -> ModelConfig:
    if model.config is None or model.attention is None:
        raise NoArchitectureError(
            f"model {model.id!r} has no published architecture ({_why(model)}): attention and FLOPs need a config"
        )
    return model.config


def _need(c: ModelConfig, name: str) -> int:
    v = getattr(c, name)
    if v is None:
        raise ValueError(f"config.{name} is needed for this attention type")
    return int(v)


def _v4_layer(c: ModelConfig, ratio: int) -> Mechanism:
    base = {
        "n_heads": c.num_attention_heads,
        "head_dim": _need(c, "head_dim"),
        "rope_dim": _need(c, "qk_rope_head_dim"),
        "window": _need(c, "sliding_window"),
    }
    if ratio == 0:
        return V4Attention(**base)
    if ratio == 4:
        return CSA(
            **base,
            ratio=ratio,
            index_n_heads=_need(c, "index_n_heads"),
            index_head_dim=_need(c, "index_head_dim"),
            index_topk=_need(c, "index_topk"),
        )
    if ratio == 128:
        return HCA(**base, ratio=ratio)
    raise ValueError(f"compress ratio {ratio} is not supported (0, 4, 128)")


def layer_mechanisms(model: Model, *, include_mtp: bool = False) -> list[Mechanism]:
    """The attention mechanism of every layer, in order (MTP layers last, only with ``include_mtp``).

    Raises:
        NoArchitectureError: the model is API-only.
    """
    c = _config(model)
    n = c.num_hidden_layers + (c.num_nextn_predict_layers if include_mtp else 0)
    kind = model.attention
    if kind == "v4_hybrid":
        ratios = c.compress_ratios or ()
        return [_v4_layer(c, r) for r in ratios[:n]]
    if kind == "v41_csa2":
        return list(csa2_layers(c, n))
    one: Mechanism
    if kind in ("mha", "gqa", "mqa"):
        head_dim = _need(c, "head_dim")
        one = DenseAttention(
            kind=kind,
            n_heads=c.num_attention_heads,
            n_kv_heads=c.num_key_value_heads or c.num_attention_heads,
            head_dim=head_dim,
            v_head_dim=c.v_head_dim or head_dim,
        )
    elif kind == "mla":
        one = MLA(
            c.num_attention_heads,
            _need(c, "kv_lora_rank"),
            _need(c, "qk_rope_head_dim"),
            c.qk_nope_head_dim or 0,
            c.v_head_dim or 0,
        )
    else:  # mla_dsa
        one = DSA(
            c.num_attention_heads,
            _need(c, "kv_lora_rank"),
            _need(c, "qk_rope_head_dim"),
            _need(c, "index_n_heads"),
            _need(c, "index_head_dim"),
            _need(c, "index_topk"),
            c.qk_nope_head_dim or 0,
            c.v_head_dim or 0,
        )
    return [one] * n


def layer_schedule(model: Model, *, include_mtp: bool = False) -> list[str]:
    """The mechanism of each layer: ``mha|gqa|mqa|mla|dsa|csa|hca|swa`` (MTP layers last if included)."""
    return [m.kind for m in layer_mechanisms(model, include_mtp=include_mtp)]


def _sum_layers(
    model: Model, include_mtp: bool, shape: tuple[int, ...], per_layer: Callable[[Mechanism], FloatArray]
) -> FloatArray:
    """``Σ_layers per_layer(mechanism)``; identical layers are computed once and multiplied by their count."""
    out = np.zeros(shape, dtype=np.float64)
    for mech, n in _layer_counts(model, include_mtp):
        out += n * per_layer(mech)
    return out


@by_row_identity()
def _layer_counts(model: Model, include_mtp: bool) -> tuple[tuple[Mechanism, int], ...]:
    """Each distinct mechanism of the model's layers and its number of layers (computed once per model)."""
    return tuple(Counter(layer_mechanisms(model, include_mtp=include_mtp)).items())


def _check_dtype(kv_dtype: str) -> None:
    if kv_dtype not in KV_DTYPES:
        raise ValueError(f"unknown kv_dtype {kv_dtype!r}; use one of {', '.join(KV_DTYPES)}")


def kv_cache_bytes(
    model: Model, context_tokens: ArrayLike, kv_dtype: KvDtype = "deployed", *, include_mtp: bool = False
) -> FloatArray:
    """KV cache bytes held for one sequence of ``context_tokens`` tokens: all layers, indexer keys included.

    Args:
        model: an open-weights catalogue model.
        context_tokens: tokens in the sequence (scalar or array, each > 0).
        kv_dtype: ``deployed`` (engine layouts, module docs) or ``bf16``.
        include_mtp: also count the MTP layer(s) (speculative decoding).

    Returns:
        Bytes, same shape as ``context_tokens``.
    """
    _check_dtype(kv_dtype)
    t = tokens(context_tokens)
    return _sum_layers(model, include_mtp, t.shape, lambda mech: mech.kv_cache_bytes(t, kv_dtype))


def kv_read_bytes_per_token(
    model: Model, context_tokens: ArrayLike, kv_dtype: KvDtype = "deployed", *, include_mtp: bool = False
) -> FloatArray:
    """KV and indexer-key bytes read to decode one token at position ``context_tokens``, all layers."""
    _check_dtype(kv_dtype)
    t = tokens(context_tokens)
    return _sum_layers(model, include_mtp, t.shape, lambda mech: mech.kv_read_bytes(t, kv_dtype))


def attention_flops_per_token(
    model: Model, context_tokens: ArrayLike, *, include_mtp: bool = False
) -> FloatArray:
    """FLOPs (2 per MAC) of core attention + indexer scoring to decode one token at that position."""
    t = tokens(context_tokens)
    return 2 * _sum_layers(model, include_mtp, t.shape, lambda mech: mech.macs(t))


def attention_prefill_flops(
    model: Model,
    prompt_tokens: ArrayLike,
    cached_tokens: ArrayLike = 0,
    *,
    include_mtp: bool = False,
    part: Literal["all", "indexer"] = "all",
) -> FloatArray:
    """Attention FLOPs of prefilling positions ``cached_tokens+1 .. prompt_tokens`` (closed-form sums).

    With the kernels engines run for prompts: dense MLA (V3, Kimi K2) in MHA mode, V3.2's DSA as masked MHA up
    to ``index_topk`` and sparse MQA beyond, V4 and dense attention as in decode (each mechanism's
    ``prefill_macs_sum``). ``part="indexer"``: only the lightning indexer's share (it runs in FP8).

    Raises:
        ValueError: ``cached_tokens`` > ``prompt_tokens``, or a negative / fractional count.
    """
    p = tokens(prompt_tokens)
    c = tokens(cached_tokens, allow_zero=True)
    if np.any(c > p):
        raise ValueError("cached_tokens must not exceed prompt_tokens")
    p, c = np.broadcast_arrays(p, c)
    if part == "indexer":
        return 2 * _sum_layers(
            model, include_mtp, p.shape, lambda m: m.index_macs_sum(p) - m.index_macs_sum(_lo(m, p, c))
        )
    return 2 * _sum_layers(
        model, include_mtp, p.shape, lambda m: m.prefill_macs_sum(p) - m.prefill_macs_sum(_lo(m, p, c))
    )


def _lo(mech: Mechanism, p: FloatArray, c: FloatArray) -> FloatArray:
    """The last position before those a prefill runs in this layer: the cached ones, or for a decoder layer
    (``prefill_tail`` > 0, V4.1) everything before the request's last ``prefill_tail`` positions."""
    tail = getattr(mech, "prefill_tail", 0)
    return np.maximum(c, p - tail) if tail else c


def attention_index_flops_per_token(
    model: Model, context_tokens: ArrayLike, *, include_mtp: bool = False
) -> FloatArray:
    """The lightning indexer's share of :func:`attention_flops_per_token` (FLOPs; 0 without an indexer)."""
    t = tokens(context_tokens)
    ones = np.ones_like(t)
    return 2 * _sum_layers(
        model, include_mtp, t.shape, lambda m: m.index_macs_sum(t) - m.index_macs_sum(t - ones)
    )
