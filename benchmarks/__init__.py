def new_shape() -> None:
    """Forget the serving estimates cached per request shape (``costmodel.serving.layouts.layout_estimates``), so a
    timed evaluation pays for them as a new request shape does in the app. Repeating one scenario would otherwise
    time the cache, not the model; only a volume or profile edit is answered from it in the app."""
    from costmodel.serving.layouts import layout_estimates

    layout_estimates.cache_clear()  # type: ignore[attr-defined]
