"""A cache for pure functions of a catalogue row: keyed on the row's identity (catalogue rows are frozen pydantic
models, but not hashable: some hold dicts) and on the other arguments.

The catalogue is loaded once per process and its rows are reused by every evaluation, so the model-derived
constants (layer schedule, parameter counts, weight bytes) are computed once per model instead of once per
option, level and rerun. An entry holds a strong reference to its row, so no other live object can share the
row's ``id`` while the entry exists; entries are dropped oldest first past ``maxsize``.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, ParamSpec, TypeVar

__all__ = ["by_row_identity"]

P = ParamSpec("P")
R = TypeVar("R")


def by_row_identity(maxsize: int = 64) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: memoise ``f(row, *args, **kwargs)`` on ``id(row)`` and the (hashable) other arguments.

    The result is shared between callers: return immutable values (tuples, frozen dataclasses, floats).
    """

    def wrap(f: Callable[P, R]) -> Callable[P, R]:
        cache: OrderedDict[Hashable, tuple[Any, R]] = OrderedDict()
        lock = threading.Lock()

        @functools.wraps(f)
        def cached(*args: P.args, **kwargs: P.kwargs) -> R:
            row = args[0]
            key = (id(row), args[1:], tuple(sorted(kwargs.items())))
            with lock:
                hit = cache.get(key)
                if hit is not None and hit[0] is row:
                    cache.move_to_end(key)
                    return hit[1]
            out = f(*args, **kwargs)
            with lock:
                cache[key] = (row, out)
                cache.move_to_end(key)
                while len(cache) > maxsize:
                    cache.popitem(last=False)
            return out

        cached.cache_clear = cache.clear  # type: ignore[attr-defined]
        return cached

    return wrap
