"""Can a model serve a workload at all? The context-window and output-length limits, checked before pricing.

A request whose prompt, or prompt + billed output (thinking tokens included: they occupy the context), is longer
than the model's context window, or whose billed output is longer than its maximum output, cannot be served: an
API would refuse it and a self-hosted engine cannot hold it. Such an option gets no cost and is not ranked; the
reason is carried, in words, into its table row. An unknown context window cannot be assumed to hold the request:
such an option is not ranked either, with that reason (a 5,000,000-token prompt must not make the one
model whose window is missing "the only option that can serve"); a user who knows the window states it in the
model row. An unknown maximum output is not checked, and :func:`unchecked_limits` says so.
"""

from __future__ import annotations

from costmodel.catalog.schema import Model

__all__ = ["context_reason", "unchecked_limits"]


def context_reason(
    model: Model, prompt_tokens: int, billed_output_tokens: float, window_tokens: int | None = None
) -> str:
    """Why ``model`` cannot serve a request of this length ("" when it can; an unknown window is a reason).

    Args:
        model: the catalogue row (``context_window_tokens``, ``max_output_tokens``).
        prompt_tokens: prompt tokens per request (cached prefix included).
        billed_output_tokens: output tokens per request, reasoning included.
        window_tokens: a host's own context limit (price row), instead of the model's.
    """
    name = model.name.split(" (")[0]
    window = model.context_window_tokens if window_tokens is None else window_tokens
    total = prompt_tokens + billed_output_tokens
    if window is None:
        why = model.null_reasons.get("context_window_tokens", "not recorded")
        return (
            f"{name}'s context window is unknown ({why}): it cannot be shown to hold a {total:,.0f}-token request; "
            "state the window in the model row to rank it"
        )
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
    return "" if model.context_window_tokens is not None else "context window unknown: not ranked"
