"""One cache budget: every cache of the product is bounded in entries and in bytes.

:class:`BoundedCache` is a least-recently-used cache that measures each entry (key and value, with
:func:`deep_nbytes`) when it is stored, and drops the oldest entries until both its ``max_entries`` and its
``max_bytes`` hold. An entry that grows after it is stored (the app's results build their tables and charts on
first use) is charged with :meth:`BoundedCache.charge`. An entry larger than the whole budget is returned but not
kept. :func:`bounded` is the decorator for pure functions of hashable arguments (in place of
``functools.lru_cache``); :func:`caches` lists every cache made, with its bounds and what it holds now (the budget
table of ``docs/memory.md`` is read from it, and ``tests/unit/test_cache_budget.py`` holds the sum under
:data:`TOTAL_MAX_BYTES`).

Sizes are measured, not guessed: numpy arrays by their buffers (a view counts its base once), pandas objects by
``memory_usage(deep=True)``, containers, dataclasses, pydantic models and other objects by ``sys.getsizeof`` of
themselves and everything they reach (each object once per entry). Code (functions, classes, modules) is not
counted, nor what the caller excludes (a catalogue row a result is keyed on: the catalogue is loaded once per
process). Objects reached from several entries are counted in each, so the figure is an upper bound.
"""

from __future__ import annotations

import functools
import sys
import threading
import types
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

__all__ = [
    "MB",
    "TOTAL_MAX_BYTES",
    "BoundedCache",
    "CacheStats",
    "bounded",
    "caches",
    "deep_nbytes",
]

MB = 1 << 20
#: The sum of every cache's ``max_bytes`` (the model's and the app's, listed in ``docs/memory.md``) stays under
#: this (``tests/unit/test_cache_budget.py`` checks the model's at import). What a server holds beyond it
#: (Python, numpy, pandas, Streamlit, the catalogue, open sessions, the allocator's free lists) is measured by
#: ``benchmarks/bench_links.py``.
TOTAL_MAX_BYTES = 400 * MB

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
P = ParamSpec("P")
R = TypeVar("R")

_NOT_COUNTED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def _children(x: object) -> Iterator[object]:
    if isinstance(x, dict):
        yield from x.keys()
        yield from x.values()
    elif isinstance(x, list | tuple | set | frozenset):
        yield from x
    else:
        d = getattr(x, "__dict__", None)
        if isinstance(d, dict):
            yield d
        for klass in type(x).__mro__:
            for name in klass.__dict__.get("__slots__", ()):
                if name not in ("__dict__", "__weakref__"):
                    v = getattr(x, name, None)
                    if v is not None:
                        yield v


#: Objects that hold nothing else: their own size is all they hold.
_LEAVES = frozenset({str, bytes, bytearray, int, float, complex, bool, memoryview, type(None)})


def deep_nbytes(*objs: object, exclude: Iterable[object] = ()) -> int:
    """Bytes held by ``objs`` and everything they reach, not counting ``exclude`` nor what only it reaches (module
    docstring: what is counted)."""
    seen: set[int] = {id(x) for x in exclude}
    stack = list(objs)
    total = 0
    np_ndarray = sys.modules["numpy"].ndarray if "numpy" in sys.modules else ()
    getsizeof, leaves, containers = sys.getsizeof, _LEAVES, (list, tuple, set, frozenset)
    while stack:
        x = stack.pop()
        i = id(x)
        if i in seen:
            continue
        seen.add(i)
        kind = type(x)
        if kind in leaves:  # the common case first: no isinstance chain for a float or a string
            total += getsizeof(x)
            continue
        if kind in containers:
            total += getsizeof(x)
            stack.extend(x)  # type: ignore[arg-type]
            continue
        if kind is dict:
            total += getsizeof(x)
            stack.extend(x.keys())  # type: ignore[attr-defined]
            stack.extend(x.values())  # type: ignore[attr-defined]
            continue
        if isinstance(x, _NOT_COUNTED):
            continue
        if np_ndarray and isinstance(x, np_ndarray):
            total += getsizeof(x)  # header, and the buffer when the array owns it
            if x.base is not None:  # a view: its base once
                stack.append(x.base)
            elif x.dtype.hasobject:
                stack.extend(x.reshape(-1).tolist())
            continue
        if kind.__module__.startswith("pandas.") and hasattr(x, "memory_usage"):
            usage = x.memory_usage(deep=True)
            total += int(usage.sum()) if hasattr(usage, "sum") else int(usage)
            attrs = getattr(x, "attrs", None)
            if attrs:
                stack.append(attrs)
            continue
        total += getsizeof(x)
        if not isinstance(x, str | bytes | bytearray | int | float | complex | bool | memoryview):
            stack.extend(_children(x))
    return total


@dataclass(frozen=True)
class CacheStats:
    """One cache's bounds and what it holds now."""

    name: str
    max_entries: int
    max_bytes: int
    entries: int
    nbytes: int
    evicted: int
    largest: int


_CACHES: list[weakref.ReferenceType[BoundedCache[Any, Any]]] = []
_CACHES_LOCK = threading.Lock()


class BoundedCache(Generic[K, V]):
    """A least-recently-used cache bounded by ``max_entries`` and ``max_bytes`` (module docstring).

    Thread-safe; a value is built once per key even when several threads ask for it at once
    (:meth:`get_or_build`). Values are shared between callers: store only what is read, never modified."""

    def __init__(self, name: str, *, max_entries: int, max_bytes: int) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("a cache needs room for one entry")
        self.name = name
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._nbytes = 0
        self._evicted = 0
        self._largest = 0
        self._lock = threading.RLock()
        self._building: dict[K, threading.Lock] = {}
        with _CACHES_LOCK:
            _CACHES.append(weakref.ref(self))

    def __len__(self) -> int:
        return len(self._data)

    @property
    def nbytes(self) -> int:
        """Bytes held now (keys and values, as measured when stored plus what was charged since)."""
        return self._nbytes

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                self.name, self.max_entries, self.max_bytes, len(self._data), self._nbytes, self._evicted,
                self._largest,
            )  # fmt: skip

    def get(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return default
            self._data.move_to_end(key)
            return hit[0]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def put(self, key: K, value: V, nbytes: int | None = None, exclude: Iterable[object] = ()) -> V:
        """Store ``value`` (measured with its key, ``exclude`` not counted, unless ``nbytes`` is given) and return
        it; past a bound, oldest first out."""
        size = deep_nbytes(key, value, exclude=exclude) if nbytes is None else nbytes
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._nbytes -= old[1]
            self._largest = max(self._largest, size)
            if size <= self.max_bytes:
                self._data[key] = (value, size)
                self._nbytes += size
                self._shrink()
        return value

    def charge(self, key: K, nbytes: int) -> None:
        """The entry of ``key`` grew by ``nbytes`` (ignored when it is gone); past a bound, oldest first out."""
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return
            size = hit[1] + nbytes
            self._data[key] = (hit[0], size)
            self._nbytes += nbytes
            self._largest = max(self._largest, size)
            if size > self.max_bytes:  # larger than the whole budget: no longer kept
                del self._data[key]
                self._nbytes -= size
                self._evicted += 1
            self._shrink(keep=key)

    def _shrink(self, keep: K | None = None) -> None:
        while len(self._data) > self.max_entries or self._nbytes > self.max_bytes:
            oldest = next(iter(self._data))
            if oldest == keep and len(self._data) > 1:
                self._data.move_to_end(oldest)
                continue
            _, (_, size) = self._data.popitem(last=False)
            self._nbytes -= size
            self._evicted += 1

    def _lookup(self, key: K) -> tuple[bool, V | None]:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return False, None
            self._data.move_to_end(key)
            return True, hit[0]

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        """The value of ``key``, built by ``build`` (once, whatever the threads) when it is not cached."""
        found, value = self._lookup(key)
        if found:
            return value  # type: ignore[return-value]
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            found, value = self._lookup(key)
            if found:
                return value  # type: ignore[return-value]
            try:
                return self.put(key, build())
            finally:
                with self._lock:
                    self._building.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._nbytes = 0


def caches() -> list[CacheStats]:
    """Every live :class:`BoundedCache` of the process, in the order made."""
    with _CACHES_LOCK:
        live = [c for r in _CACHES if (c := r()) is not None]
    return [c.stats() for c in live]


def bounded(name: str, *, max_entries: int, max_bytes: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: memoise a pure function of hashable arguments in a :class:`BoundedCache` (``.cache`` on the
    wrapper; ``.cache_clear()`` empties it). The result is shared between callers: return read-only values."""

    def wrap(f: Callable[P, R]) -> Callable[P, R]:
        cache: BoundedCache[Hashable, R] = BoundedCache(name, max_entries=max_entries, max_bytes=max_bytes)

        @functools.wraps(f)
        def cached(*args: P.args, **kwargs: P.kwargs) -> R:
            key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
            return cache.get_or_build(key, lambda: f(*args, **kwargs))

        cached.cache = cache  # type: ignore[attr-defined]
        cached.cache_clear = cache.clear  # type: ignore[attr-defined]
        return cached

    return wrap
