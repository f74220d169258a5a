"""Can a model serve a workload at all? The context-window and output-length limits, checked before pricing.

A request whose prompt, or prompt + billed output (thinking tokens included: they occupy the context), is longer
than the model's context window, or whose billed output is longer than its maximum output, cannot be served: an
API would refuse it and a self-hosted engine cannot hold it. Such an option gets no cost and is not ranked; the
reason is carried, in words, into its table row. A limit the catalogue does not record is not checked, and
:func:`unchecked_limits` says so.
"""

from __future__ import annotations

from costmodel.catalog.schema import Model

__all__ = ["context_reason", "unchecked_limits"]


def context_reason(model: Model, prompt_tokens: int, billed_output_tokens: float) -> str:
    """Why ``model`` cannot serve a request of this length ("" when it can, or when its limits are unknown).

    Args:
        model: the catalogue row (``context_window_tokens``, ``max_output_tokens``).
        prompt_tokens: prompt tokens per request (cached prefix included).
        billed_output_tokens: output tokens per request, reasoning included.
    """
    name = model.name.split(" (")[0]
    window = model.context_window_tokens
    total = prompt_tokens + billed_output_tokens
    if window is not None and prompt_tokens > window:
        return f"the prompt ({prompt_tokens:,} tokens) exceeds {name}'s {window:,}-token context window"
    if window is not None and total > window:
        return f"prompt + output ({total:,.0f} tokens) exceeds {name}'s {window:,}-token context window"
    max_out = model.max_output_tokens
    if max_out is not None and billed_output_tokens > max_out:
        return f"the output ({billed_output_tokens:,.0f} tokens) exceeds {name}'s {max_out:,}-token maximum output"
    return ""


def unchecked_limits(model: Model) -> str:
    """Which limit of ``model`` the catalogue does not record ("" when the context window is known)."""
    return "" if model.context_window_tokens is not None else "context window unknown: length not checked"
