"""The layout of `bot/` holds: Rasa, rasa_sdk and Sanic are imported only by the packages that
run inside the Rasa server (bot/server/) or the action server (actions/), modules import
each other without cycles, and the top level stays small."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.settings import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
# The packages that may import Rasa, rasa_sdk or Sanic.
RASA_FACING = ("bot.server",)
RASA_PACKAGES = ("rasa", "rasa_sdk", "sanic")
MAX_TOP_LEVEL_MODULES = 8


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(BOT.rglob("*.py"))}


def imports(path: Path, top_level_only: bool) -> Iterator[str]:
    """The modules a file imports: everywhere in it, or only those that run when it is
    imported (not inside functions, nor for type checking only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def bot_imports(name: str, path: Path, known: dict[str, Path], top_level_only: bool) -> set[str]:
    """The modules of `bot` this one imports, with the packages that importing them runs."""
    found = {imported for imported in imports(path, top_level_only) if imported in known}
    parents = {".".join(module.split(".")[:end]) for module in found for end in range(2, module.count(".") + 1)}
    return (found | {parent for parent in parents if parent in known}) - {name}


def test_rasa_is_imported_only_inside_the_rasa_facing_packages() -> None:
    known = modules()
    leaks = []
    for name, path in known.items():
        if name.startswith(RASA_FACING):
            continue
        for imported in imports(path, top_level_only=False):
            if imported.split(".")[0] in RASA_PACKAGES:
                leaks.append(f"{path.relative_to(PROJECT_ROOT)} imports {imported}")
    assert leaks == []


def test_modules_outside_the_server_reach_none_of_its_modules() -> None:
    """Not even through another module of `bot`: what runs outside the Rasa server needs
    nothing of it."""
    known = modules()
    graph = {name: bot_imports(name, path, known, top_level_only=False) for name, path in known.items()}
    for name in graph:
        if name.startswith(RASA_FACING):
            continue
        reached, todo = set(), [name]
        while todo:
            for imported in graph[todo.pop()] - reached:
                reached.add(imported)
                todo.append(imported)
        assert not [module for module in reached if module.startswith(RASA_FACING)], name


def test_importing_the_command_line_and_the_action_logic_loads_no_rasa() -> None:
    code = ("import sys, bot.__main__, bot.dialogue.runtime, bot.certificates.cli, bot.processes.stack, "
            "bot.processes.scaled, bot.processes.shell, bot.understanding.gate; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rasa', 'rasa_sdk', 'sanic', 'tensorflow')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph, as the modules along it, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for following in sorted(graph[node]):
            if state.get(following) == "open":
                return [*path[path.index(following):], following]
            if following not in state and (cycle := visit(following)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_inside_bot() -> None:
    known = modules()
    graph = {name: bot_imports(name, path, known, top_level_only=True) for name, path in known.items()}
    assert find_cycle(graph) is None


def test_the_cycle_finder_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_bot_keeps_a_small_top_level() -> None:
    top_level = sorted(path.name for path in BOT.glob("*.py"))
    assert len(top_level) <= MAX_TOP_LEVEL_MODULES, top_level


def test_the_product_does_not_import_its_tests_or_benchmarks() -> None:
    known = modules()
    found = [f"{name} imports {imported}" for name, path in known.items()
             for imported in imports(path, top_level_only=False) if imported.split(".")[0] in ("tests", "bench")]
    assert found == []
