"""What users read stays true: loggers reach the `ghostswap` handler, and flags named in messages exist.

A logger outside `ghostswap` is not routed by `setup_logging` (its lines vanish, or ignore --quiet),
and a message that tells a user to pass a flag the CLI does not have (`--all-tracks` for `--all`)
sends them to an argparse error instead of the fix.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import logging
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import ghost_core
from ghost_core.cli import build_parser

PACKAGE = Path(ghost_core.__file__).parent
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
HOLE = "\x00"  # where an f-string's {value} sits: a flag ending there is a template, not a name
# Messages quote other programs' command lines; their flags are theirs, not ours.
OTHER_PROGRAMS = ("ray start", "pip install", "oiiotool", "openjd", "deadline")


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _docstrings(tree: ast.Module) -> set[int]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant | ast.JoinedStr)
    }


def _text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else HOLE for v in node.values)
    return None


def _strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every string literal and f-string but docstrings, with its line; command-line lists of other
    programs (`["openjd", "run", ...]`) are left out."""
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
        if isinstance(node, ast.List | ast.Tuple) and node.elts:
            program = _text(node.elts[0]) or ""
            if program in {p.split(" ")[0] for p in OTHER_PROGRAMS}:
                skip.update(id(e) for e in node.elts)
    for node in ast.walk(tree):
        text = _text(node) if isinstance(node, ast.expr) else None
        if text is not None and id(node) not in skip:
            yield node.lineno, text


def _options(parser: argparse.ArgumentParser) -> set[str]:
    found: set[str] = set()
    for action in parser._actions:
        found.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options(sub)
    return found


def test_every_flag_named_in_a_message_is_a_cli_option() -> None:
    known = _options(build_parser())
    wrong = []
    for path, tree in _sources():
        for line, text in _strings(tree):
            if any(program in text for program in OTHER_PROGRAMS):
                continue
            for match in FLAG.finditer(text):
                templated = text[match.end() : match.end() + 2] in (HOLE, f"-{HOLE}")
                if not templated and match[0] not in known:
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {match[0]} in {text!r:.90}")
    assert not wrong, "messages name flags `ghostswap` does not have:\n" + "\n".join(wrong)


def test_the_flag_scan_sees_a_wrong_flag() -> None:
    """The scan itself: a made-up flag in a message is found, a templated or quoted one is not."""
    tree = ast.parse(
        'raise UsageError("drop --all-tracks")\n'
        'f"--weight-{name}"\n'
        'hint = "start it with `ray start --head`"\n'
        'cmd = ["openjd", "run", "--run-dependencies"]\n'
    )
    texts = [t for _, t in _strings(tree)]
    flags = {m[0] for t in texts if not any(p in t for p in OTHER_PROGRAMS) for m in FLAG.finditer(t)}
    assert "--all-tracks" in flags and "--run-dependencies" not in flags
    assert "--all-tracks" not in _options(build_parser())


def test_every_logger_is_under_ghostswap() -> None:
    """Static: each getLogger call names "ghostswap" or a child; no root-logger calls."""
    wrong = []
    root_calls = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "basicConfig"}
    for path, tree in _sources():
        where = path.relative_to(PACKAGE.parent)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            on_logging = isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "logging"
            if name == "getLogger":
                arg = _text(node.args[0]) if len(node.args) == 1 and not node.keywords else None
                if arg is None or HOLE in arg or not (arg == "ghostswap" or arg.startswith("ghostswap.")):
                    wrong.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
            elif on_logging and name in root_calls:
                wrong.append(f"{where}:{node.lineno}: logging.{name}(...) logs on the root logger")
    assert not wrong, "loggers outside `ghostswap`:\n" + "\n".join(wrong)


def test_no_logger_named_after_a_module_after_importing_everything() -> None:
    """Dynamic: import every ghost_core module; no logger may be named `ghost_core...`."""
    for module in pkgutil.walk_packages([str(PACKAGE)], prefix="ghost_core."):
        if module.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(module.name)
        except ImportError:  # an optional extra that is not installed here
            continue
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "ghost_core"]
    assert names == [], names
