"""One registry per extension point: a name maps to a factory, imported only when it is used.

Detectors, landmarkers, recognisers, swappers, executors and farm managers are each declared
once, in the package that owns them, as `Registry.add(name, "package.module:attr", help)`. A
declaration is only a string, so listing the choices (CLI `choices`, `--help`, the knob table)
never imports the implementation, which may pull in torch, onnxruntime, OpenCV or Ray. The
module is imported by `create` the first time that name is asked for.

Standard library only (plus ghost_core.errors), so every layer may import it.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Generic, TypeVar, cast

from ghost_core.errors import UsageError

T = TypeVar("T")

# "package.module:attr" (attr may be dotted, e.g. "Class.factory"), "package.module" (the module
# itself implements the protocol: stateless kinds such as farm managers), or the object itself.
Target = str | Callable[..., Any] | ModuleType


@dataclass(frozen=True)
class Entry:
    """One implementation: how to reach it and the one line `--help` shows for it."""

    name: str
    target: Target
    help: str


class Registry(Generic[T]):
    """Names → lazily imported factories whose products satisfy `protocol` (a `typing.Protocol`).

    `add_files` lets a registry also accept a path ending in a suffix (e.g. any SCRFD `.onnx`):
    that factory receives the path as its first argument.
    """

    def __init__(self, kind: str, protocol: type[Any]) -> None:
        self.kind = kind
        self.protocol = protocol
        self._entries: dict[str, Entry] = {}
        self._files: tuple[str, Entry] | None = None

    # ---- declaring ------------------------------------------------------------------------------

    def add(self, name: str, target: Target, help: str) -> None:
        """Declare `name`; a second declaration of one name is a programming error."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered ({self._entries[name].target})")
        self._entries[name] = Entry(name, target, help)

    def add_files(self, suffix: str, target: Target, help: str) -> None:
        """Accept any name ending in `suffix` (case-insensitive) as a file for `target`."""
        self._files = (suffix.lower(), Entry(f"FILE{suffix}", target, help))

    def remove(self, name: str) -> None:
        """Undo `add` (tests, plugins unloading)."""
        self._entries.pop(name, None)

    # ---- listing --------------------------------------------------------------------------------

    def names(self) -> tuple[str, ...]:
        """Registered names in declaration order (without the file form)."""
        return tuple(self._entries)

    def entries(self) -> tuple[Entry, ...]:
        """Every entry, the file form last."""
        files = (self._files[1],) if self._files else ()
        return (*self._entries.values(), *files)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._entries or self._is_file(name))

    def choices_text(self) -> str:
        """`a, b or c` (plus `, or FILE.onnx`): the known names, for messages."""
        names = list(self._entries)
        text = ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + (names[-1] if names else "")
        if self._files:
            text = f"{text}, or {self._files[1].name}" if text else self._files[1].name
        return text

    def help_text(self, default: str | None = None) -> str:
        """`name: help; ...` for each entry, marking `default`: what --help and the knob table show."""
        parts = []
        for entry in self.entries():
            mark = " (default)" if entry.name == default else ""
            parts.append(f"{entry.name}{mark}: {entry.help}")
        return "; ".join(parts)

    # ---- using ----------------------------------------------------------------------------------

    def entry(self, name: str) -> Entry:
        """The entry for `name`; UsageError listing the known names when there is none."""
        if name in self._entries:
            return self._entries[name]
        if self._is_file(name):
            assert self._files is not None
            return self._files[1]
        raise UsageError(f"unknown {self.kind} {name!r}: use {self.choices_text()}")

    def factory(self, name: str) -> Callable[..., T]:
        """The callable that makes `name` (the file form gets the path bound as its first argument)."""
        if name in self._entries:
            return _load(self._entries[name].target, f"{self.kind} {name!r}")
        entry = self.entry(name)  # the file form, or UsageError
        return functools.partial(_load(entry.target, f"{self.kind} {entry.name}"), name)

    def create(self, name: str, *args: Any, **kwargs: Any) -> T:
        """A new `name` implementation, checked against the protocol (a wrong plugin fails here)."""
        product = self.factory(name)(*args, **kwargs)
        missing = [m for m in _members(self.protocol) if not hasattr(product, m)]
        if missing:
            raise TypeError(
                f"{self.kind} {name!r} ({self.entry(name).target}) does not implement "
                f"{self.protocol.__name__}: it has no {', '.join(missing)}"
            )
        return cast(T, product)

    def _is_file(self, name: str) -> bool:
        return self._files is not None and name.lower().endswith(self._files[0])


def _load(target: Target, label: str) -> Callable[..., Any]:
    """Import a "module:attr" target; a bare module is returned by a factory of its own."""
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        if not attr:
            return functools.partial(_same, module)
        value: Any = module
        for part in attr.split("."):
            try:
                value = getattr(value, part)
            except AttributeError:
                raise ImportError(f"{label}: {target} does not exist (fix its registration)") from None
        return cast(Callable[..., Any], value)
    if isinstance(target, ModuleType):
        return functools.partial(_same, target)
    return target


def _same(module: ModuleType) -> ModuleType:
    return module


@functools.cache
def _members(protocol: type) -> tuple[str, ...]:
    """Public attributes and methods a Protocol declares (its own and its protocol bases')."""
    names: list[str] = []
    for cls in reversed(protocol.__mro__):
        if cls.__module__ in ("builtins", "typing", "abc"):
            continue
        for name in [*getattr(cls, "__annotations__", {}), *vars(cls)]:
            if not name.startswith("_") and name not in names:
                names.append(name)
    return tuple(names)
