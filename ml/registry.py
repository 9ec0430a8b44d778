"""One process-wide registry of loaded models.

    from ml import registry
    model = registry.get(("face", "onnx", "/path/face_cnn_d.keras"), loader)

Each key is loaded at most once per process: the first caller runs ``loader()`` and
every later caller gets the same object. Loading is thread-safe with one lock per
key (double-checked), so two different models may load at the same time while two
threads asking for the same model wait for one load. A loader that raises leaves
nothing behind; the next call tries again. ``clear()`` forgets everything (tests).

Every model in ``ml`` (face CNN, voice head, Whisper encoder, text network) is
loaded through here; no other module keeps its own model cache.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Hashable


class Registry:
    """Loaded objects by key, each loaded once (see the module docstring)."""

    def __init__(self):
        self._items: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()  # protects _locks (and clear)

    def get(self, key: Hashable, loader: Callable[[], Any]) -> Any:
        """The object stored under ``key``, loading it with ``loader()`` the first time."""
        try:
            return self._items[key]  # fast path: a dict read is atomic
        except KeyError:
            pass
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._items:  # checked again: another thread may have loaded it
                self._items[key] = loader()
            return self._items[key]

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def keys(self) -> list:
        return list(self._items)

    def clear(self) -> None:
        """Forget every loaded object (the next ``get`` loads again)."""
        with self._guard:
            self._items.clear()
            self._locks.clear()


_registry = Registry()
get = _registry.get
keys = _registry.keys
clear = _registry.clear
contains = _registry.__contains__
