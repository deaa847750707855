"""The tree keeps the flow one way: no import cycles in ``bot/``, and ``discord`` only where it belongs."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import bot

ROOT = Path(__file__).resolve().parent.parent
#: The one package of ``bot/`` that may import discord.py (the client and the render module).
DISCORD_PACKAGE = "bot.client"


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(bot.__path__, "bot."))


def _imports(module: str) -> set[str]:
    """Every ``bot`` module this one imports, at any depth of its code (TYPE_CHECKING and local imports too)."""
    spec_path = ROOT / Path(*module.split("."))
    path = spec_path / "__init__.py" if spec_path.is_dir() else spec_path.with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    known = set(_modules())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_in_bot() -> None:
    """Package ``__init__`` modules are empty, so a cycle here is a real two-way dependency between modules."""
    graph = {module: {m for m in _imports(module) if m.startswith("bot.")} for module in _modules()}
    assert _cycle(graph) is None


#: What each package of ``bot/`` may import, following the flow source -> parser -> models -> store ->
#: search/summary -> answers -> render -> cogs; no package reaches back up the chain.
#: ``bot.health`` (the background tasks' state and their supervisor) stands beside the flow, like the
#: settings: the tasks in sources and announce report to it, answers show it, and it imports nothing.
#: ``bot.metrics`` (the Prometheus counters) likewise: fed from where things happen, rendered by the web server.
_CORE = {"bot.domain", "bot.config", "bot.health", "bot.metrics", "bot.log_format", "bot.stopping"}
ALLOWED: dict[str, set[str]] = {
    "bot.domain": set(),
    "bot.config": set(),
    "bot.health": set(),
    "bot.metrics": set(),
    "bot.log_format": set(),
    "bot.stopping": set(),
    "bot.parsing": {"bot.domain"},
    "bot.summary": {"bot.domain"},
    # The criteria matcher (subscription filters, watchlists) works on the models alone; the store uses it
    # to queue a new review's announcements and direct messages in the transaction that stores it.
    "bot.matching": {"bot.domain"},
    "bot.storage": {"bot.domain", "bot.matching"},
    "bot.search": {"bot.domain", "bot.storage"},
    "bot.sources": {"bot.domain", "bot.health", "bot.metrics", "bot.parsing", "bot.summary", "bot.storage"},
    "bot.answers": {
        "bot.domain",
        "bot.health",
        "bot.parsing",
        "bot.summary",
        "bot.matching",
        "bot.storage",
        "bot.search",
    },
    "bot.announce": {"bot.domain", "bot.health", "bot.matching", "bot.metrics", "bot.storage", "bot.answers"},
    # Which process runs the one-at-a-time background tasks: a lease in the store, reported to health.
    "bot.leadership": {*_CORE, "bot.storage"},
    "bot.services": {*_CORE, "bot.storage", "bot.search", "bot.answers", "bot.sources"},
    "bot.failures": {*_CORE, "bot.storage"},
    # The web pages render the answers as HTML, as the client renders them as embeds.
    "bot.web": {*_CORE, "bot.storage", "bot.search", "bot.answers", "bot.services"},
    "bot.console": {*_CORE, "bot.answers", "bot.services", "bot.web"},
    "bot.client": {*_CORE, "bot.answers", "bot.services", "bot.web"},
}


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_each_package_imports_only_what_comes_before_it_in_the_flow() -> None:
    """``bot.cli`` (the entry point) may use everything; every other package only what ``ALLOWED`` names."""
    wrong = []
    for module in _modules():
        package = _package(module)
        if package == "bot.cli":
            continue
        assert package in ALLOWED, f"{package} is a new package: give it its place in ALLOWED"
        for imported in _imports(module):
            target = _package(imported)
            if target != package and target not in ALLOWED[package]:
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_only_the_client_package_imports_discord() -> None:
    """Every module outside ``bot.client`` imports (and so runs and tests) without discord.py."""
    core = [m for m in _modules() if m != DISCORD_PACKAGE and not m.startswith(DISCORD_PACKAGE + ".")]
    assert len(core) > 20
    code = "import sys\n" + "".join(f"import {m}\n" for m in core) + "print('discord' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "False"
