"""A cache for pure functions of a catalogue row: keyed on the row's identity (catalogue rows are frozen pydantic
models, but not hashable: some hold dicts) and on the other arguments.

The catalogue is loaded once per process and its rows are reused by every evaluation, so the model-derived
constants (layer schedule, parameter counts, weight bytes) are computed once per model instead of once per
option, level and rerun. An entry holds a strong reference to its row, so no other live object can share the
row's ``id`` while the entry exists; entries are dropped oldest first past ``maxsize`` entries or ``max_bytes``
(:class:`costmodel.catalog.budget.BoundedCache`: the key's other arguments and the result are measured, the row is
not: it belongs to the catalogue).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any, ParamSpec, TypeVar

from costmodel.catalog.budget import MB, BoundedCache

__all__ = ["by_row_identity"]

P = ParamSpec("P")
R = TypeVar("R")


def by_row_identity(maxsize: int = 64, max_bytes: int = 8 * MB) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: memoise ``f(row, *args, **kwargs)`` on ``id(row)`` and the (hashable) other arguments, at most
    ``maxsize`` entries and ``max_bytes`` (the cache is named after ``f``).

    The result is shared between callers: return immutable values (tuples, frozen dataclasses, floats).
    """

    def wrap(f: Callable[P, R]) -> Callable[P, R]:
        name = f"{f.__module__}.{f.__qualname__}"
        cache: BoundedCache[Hashable, tuple[Any, R]] = BoundedCache(
            name, max_entries=maxsize, max_bytes=max_bytes
        )

        @functools.wraps(f)
        def cached(*args: P.args, **kwargs: P.kwargs) -> R:
            row = args[0]
            key = (id(row), args[1:], tuple(sorted(kwargs.items())))
            hit = cache.get(key)
            if hit is not None and hit[0] is row:
                return hit[1]
            out = f(*args, **kwargs)
            cache.put(key, (row, out), exclude=(row,))
            return out

        cached.cache = cache  # type: ignore[attr-defined]
        cached.cache_clear = cache.clear  # type: ignore[attr-defined]
        return cached

    return wrap
