"""A small, explicit, recording stand-in for the parts of Nuke's Python API that GhostSwap calls.

Installed as `sys.modules["nuke"]` by the tests. Unlike a MagicMock it refuses unknown knobs
(Nuke raises NameError too), records every `execute(node, first, last)`, message and progress
update, and a Write really writes EXR frames: it follows its input to the Group's input and
copies that Read's frames with OpenImageIO in the Write's datatype and channels.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio

NUKE_VERSION_STRING = "15.1v3"
INVISIBLE = 0x00000400

# Recorded calls, reset by reset().
executed: list[tuple[str, int, int]] = []
messages: list[str] = []
asks: list[str] = []
progress_tasks: list[ProgressTask] = []
plugin_paths: list[str] = []
menus: dict[str, Menu] = {}
cancel_bake = False  # ProgressTask.isCancelled() answers this
_state: dict[str, Any] = {}


class Knob:
    def __init__(self, name: str, label: str = "", value: Any = "") -> None:
        self._name, self.label, self._value = name, label, value
        self.flags: set[int] = set()
        self.tooltip = ""

    def name(self) -> str:
        return self._name

    def value(self) -> Any:
        return self._value

    def setValue(self, value: Any) -> None:
        self._value = value

    def setFlag(self, flag: int) -> None:
        self.flags.add(flag)

    def setTooltip(self, text: str) -> None:
        self.tooltip = text


class Tab_Knob(Knob):
    pass


class String_Knob(Knob):
    pass


class File_Knob(Knob):
    pass


class Text_Knob(Knob):
    def __init__(self, name: str, label: str = "", text: str = "") -> None:
        super().__init__(name, label, text)


class PyScript_Knob(Knob):
    def __init__(self, name: str, label: str = "", script: str = "") -> None:
        super().__init__(name, label, script)


class _Array_Knob(Knob):
    """Nuke's numeric knobs (Array_Knob subclasses) have a slider range."""

    range: tuple[float, float] | None = None

    def setRange(self, minimum: float, maximum: float) -> None:
        self.range = (minimum, maximum)


class Int_Knob(_Array_Knob):
    def __init__(self, name: str, label: str = "") -> None:
        super().__init__(name, label, 0)

    def setValue(self, value: Any) -> None:
        self._value = int(value)


class Double_Knob(_Array_Knob):
    def __init__(self, name: str, label: str = "") -> None:
        super().__init__(name, label, 0.0)

    def setValue(self, value: Any) -> None:
        self._value = float(value)


class Boolean_Knob(Knob):
    def __init__(self, name: str, label: str = "") -> None:
        super().__init__(name, label, False)

    def setValue(self, value: Any) -> None:
        self._value = bool(value)


class Enumeration_Knob(Knob):
    def __init__(self, name: str, label: str, values: list[str]) -> None:
        super().__init__(name, label, values[0])
        self.values = list(values)

    def setValue(self, value: Any) -> None:
        if value not in self.values:
            raise ValueError(f"{self._name}: {value!r} is not one of {self.values}")
        self._value = value


# Built-in knobs per node class (name -> default); every node also has name, label, disable.
CLASS_KNOBS: dict[str, dict[str, Any]] = {
    "Root": {"first_frame": 1, "last_frame": 100},
    "Group": {"knobChanged": ""},
    "Input": {"number": 0},
    "Output": {},
    "Write": {
        "file": "",
        "file_type": "",
        "datatype": "16 bit half",
        "colorspace": "default",
        "channels": "rgb",
    },
    "Read": {
        "file": "",
        "first": 1,
        "last": 1,
        "origfirst": 1,
        "origlast": 1,
        "on_error": "error",
        "raw": False,
    },
    "Shuffle": {
        "in": "rgba",
        "in2": "none",
        "red": "red",
        "green": "green",
        "blue": "blue",
        "alpha": "alpha",
    },
    "Switch": {"which": 0},
}


class Node:
    def __init__(self, cls: str, parent: Node | None, **knobs: Any) -> None:
        if cls not in CLASS_KNOBS:
            raise RuntimeError(f"fake nuke: unknown node class {cls}")
        self._class, self.parent = cls, parent
        self._knobs: dict[str, Knob] = {}
        self._inputs: dict[int, Node] = {}
        self.children: list[Node] = []
        self.user_knobs: list[str] = []
        for name, default in {"name": cls + "1", "label": "", "disable": False, **CLASS_KNOBS[cls]}.items():
            self._knobs[name] = Knob(name, name, default)
        for name, value in knobs.items():
            self[name].setValue(value)

    def __getitem__(self, name: str) -> Knob:
        if name not in self._knobs:
            raise NameError(f"knob {name} does not exist on {self.name()}")
        return self._knobs[name]

    def knobs(self) -> dict[str, Knob]:
        return dict(self._knobs)

    def addKnob(self, knob: Knob) -> None:
        if knob.name() in self._knobs:
            raise RuntimeError(f"knob {knob.name()} already exists on {self.name()}")
        self._knobs[knob.name()] = knob
        self.user_knobs.append(knob.name())

    def Class(self) -> str:
        return self._class

    def name(self) -> str:
        return str(self["name"].value())

    def setName(self, name: str, uncollide: bool = False) -> None:
        siblings = {n.name() for n in (self.parent.children if self.parent else []) if n is not self}
        if uncollide and name in siblings:  # Nuke numbers a taken name: GhostSwap1 -> GhostSwap2
            base, number = re.match(r"(.*?)(\d*)$", name).groups()  # type: ignore[union-attr]
            count = int(number or 1)
            while f"{base}{count}" in siblings:
                count += 1
            name = f"{base}{count}"
        self["name"].setValue(name)

    def setInput(self, index: int, node: Node | None) -> bool:
        if node is None:
            self._inputs.pop(index, None)
        else:
            self._inputs[index] = node
        return True

    def input(self, index: int) -> Node | None:
        return self._inputs.get(index)

    def node(self, name: str) -> Node | None:
        return next((n for n in self.children if n.name() == name), None)

    def begin(self) -> None:
        _state["context"].append(self)

    def end(self) -> None:
        _state["context"].pop()

    def __enter__(self) -> Node:
        self.begin()
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()


def _context() -> Node:
    return _state["context"][-1]


def _create(cls: str, **knobs: Any) -> Node:
    parent = _context()
    node = Node(cls, parent)
    if cls == "Input":
        node["number"].setValue(sum(1 for n in parent.children if n.Class() == "Input"))
    node.setName(knobs.pop("name", cls + "1"), uncollide=True)
    for name, value in knobs.items():
        node[name].setValue(value)
    parent.children.append(node)
    return node


class _Nodes:
    def __getattr__(self, cls: str) -> Any:
        return lambda **knobs: _create(cls, **knobs)


nodes = _Nodes()


def createNode(cls: str, knobs: str = "", inpanel: bool = True) -> Node:
    node = _create(cls)
    _state["this_node"] = node
    return node


def root() -> Node:
    return _state["root"]


def toNode(name: str) -> Node | None:
    return _context().node(name)


def thisNode() -> Node:
    return _state["this_node"]


def thisKnob() -> Knob | None:
    return _state.get("this_knob")


def message(text: str) -> None:
    messages.append(text)


def ask(text: str) -> bool:
    asks.append(text)
    return True


def pluginAddPath(path: str) -> None:
    plugin_paths.append(path)


class Menu:
    def __init__(self, name: str) -> None:
        self.name, self.commands = name, []

    def addCommand(self, path: str, command: str, **kwargs: Any) -> None:
        self.commands.append((path, command))


def menu(name: str) -> Menu:
    return menus.setdefault(name, Menu(name))


class ProgressTask:
    def __init__(self, title: str) -> None:
        self.title, self.progress, self.messages = title, [], []
        progress_tasks.append(self)

    def setProgress(self, percent: int) -> None:
        self.progress.append(percent)

    def setMessage(self, text: str) -> None:
        self.messages.append(text)

    def isCancelled(self) -> bool:
        return cancel_bake


def _frame_file(pattern: str, frame: int) -> str:
    return re.sub(r"#+", lambda m: str(frame).zfill(len(m.group(0))), pattern)


def _upstream_read(node: Node) -> Node:
    """Follow input 0 through a Group's Input node to the Read connected to that Group."""
    current = node.input(0)
    while current is not None and current.Class() == "Input":
        group = current.parent
        assert group is not None
        current = group.input(int(current["number"].value()))
    if current is None or current.Class() != "Read":
        raise RuntimeError(f"fake nuke: {node.name()} has no Read upstream (connect the input)")
    return current


def _write_frames(write: Node, first: int, last: int) -> None:
    read = _upstream_read(write)
    half = write["datatype"].value() == "16 bit half"
    keep = 4 if write["channels"].value() == "rgba" else 3
    for frame in range(first, last + 1):
        buf = oiio.ImageBuf(_frame_file(str(read["file"].value()), frame))
        pixels = np.asarray(buf.get_pixels(oiio.FLOAT), np.float32)[..., :keep]
        if pixels.shape[-1] < keep:  # a plate without alpha: Nuke writes alpha 1
            pixels = np.concatenate([pixels, np.ones_like(pixels[..., :1])], axis=-1)
        target = Path(_frame_file(str(write["file"].value()), frame))
        spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], keep, oiio.HALF if half else oiio.FLOAT)
        spec.channelnames = ("R", "G", "B", "A")[:keep]
        spec.attribute("compression", "zip")
        out = oiio.ImageOutput.create(str(target))
        assert out is not None and out.open(str(target), spec), oiio.geterror()
        assert out.write_image(pixels), out.geterror()
        out.close()


def execute(node: Node | str, first: int, last: int, incr: int = 1) -> None:
    node = toNode(node) if isinstance(node, str) else node
    assert node is not None
    executed.append((node.name(), first, last))
    if node.Class() == "Write":
        if not node["file"].value():
            raise RuntimeError(f"{node.name()}: no file name")
        _write_frames(node, first, last)


def reset(script: str = "Root", first: int = 1001, last: int = 1100) -> None:
    """Fresh state: an empty script saved as `script` with the given frame range."""
    global cancel_bake
    executed.clear()
    messages.clear()
    asks.clear()
    progress_tasks.clear()
    plugin_paths.clear()
    menus.clear()
    cancel_bake = False
    _state.clear()
    root_node = Node("Root", None, first_frame=first, last_frame=last)
    root_node["name"].setValue(script)
    _state.update(root=root_node, context=[root_node], this_node=None, this_knob=None)


def set_this(node: Node | None, knob: Knob | None = None) -> None:
    _state["this_node"], _state["this_knob"] = node, knob


reset()
