"""The import graph read from the code: no circles, no lower layer importing a higher one, lazy imports say why.

Message path: connectors -> bots -> nlu -> actions -> knowledge (privacy is a service beside them);
`hkbot/` is the foundation (settings, bot.yml) that every layer may read and that reads nothing of
theirs. Every import counts, at the top of a file or inside a function, so a circle cannot hide
behind a lazy import. docs/architecture.md, "Layers and imports".
"""
from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOUNDATION = {"hkbot"}
LOW = {"nlu", "knowledge", "actions", "privacy"}
HIGH = {"bots", "console", "connectors"}
#: The path settings of hkbot/settings.py (docs/configuration.md).
PATH_VARIABLES = {"HKBOT_VAR_DIR", "HKBOT_MODELS_DIR", "HKBOT_DATA_DIR", "HKBOT_BOTS_DIR", "HKBOT_KNOWLEDGE_DIR", "HKBOT_CONFIG"}


@dataclass
class Graph:
    """Module -> the project modules it imports; and the function-level imports that give no reason."""

    edges: dict[str, set[str]] = field(default_factory=dict)
    unexplained: list[str] = field(default_factory=list)


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: set[str]) -> list[str]:
    """The project modules an import statement loads (a name imported from a module counts as that module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - node.level + 1]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        names = [f"{prefix}.{alias.name}" for alias in node.names]
        names = [name if name in modules else prefix for name in names]
    found = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.append(name)
    return found


def _explained(lines: list[str], node: ast.stmt) -> bool:
    """A lazy import says why: a comment on its line, on another line of its group of imports, or just above the group."""
    index = node.lineno - 1
    while index >= 0:
        text = lines[index].strip()
        if text.startswith("#"):
            return True
        if not text:  # a blank line inside the group (standard library, others, ours)
            index -= 1
            continue
        if not text.startswith(("import ", "from ")):
            return False
        if "#" in text:
            return True
        index -= 1
    return False


def read_graph(root: Path) -> Graph:
    """The import graph of every package under `root` (folders with an __init__.py, tests excepted)."""
    packages = sorted(p for p in root.iterdir() if (p / "__init__.py").is_file() and p.name != "tests")
    files = {_module_name(root, f): f for package in packages for f in package.rglob("*.py")}
    modules = set(files)
    graph = Graph({name: set() for name in modules})
    for name, path in sorted(files.items()):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        lines = text.splitlines()
        lazy = {id(n) for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            targets = _targets(node, name, path.name == "__init__.py", modules)
            graph.edges[name].update(targets)
            if targets and id(node) in lazy and not _explained(lines, node):
                graph.unexplained.append(f"{path.relative_to(root)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return graph


def circles(graph: Graph) -> set[tuple[str, ...]]:
    """The strongly connected components of more than one module (Tarjan), each as a sorted tuple."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph.edges[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10000))
    try:
        for module in sorted(graph.edges):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return found


def upward(graph: Graph) -> list[str]:
    """Imports from a lower layer into a higher one, and from the foundation into any other package."""
    wrong = []
    for module, targets in sorted(graph.edges.items()):
        layer = module.split(".")[0]
        for target in sorted(targets):
            other = target.split(".")[0]
            if (layer in LOW and other in HIGH) or (layer in FOUNDATION and other != layer):
                wrong.append(f"{module} -> {target}")
    return wrong


@pytest.fixture(scope="module")
def project() -> Graph:
    return read_graph(ROOT)


def test_no_import_circles(project):
    found = circles(project)
    assert found == set(), "import circles: " + "; ".join(" <-> ".join(c) for c in sorted(found))


def test_no_lower_layer_imports_a_higher_one(project):
    assert upward(project) == []


def test_every_lazy_import_of_a_project_module_says_why(project):
    assert project.unexplained == [], "move these to the top of the file, or say why they wait:\n" + "\n".join(project.unexplained)


def environment_reads(root: Path, names: set[str]) -> list[str]:
    """Where the code reads one of `names` from the environment (os.environ.get, os.environ[...], os.getenv)."""
    found = []
    for package in sorted(p for p in root.iterdir() if (p / "__init__.py").is_file() and p.name != "tests"):
        for path in sorted(package.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and node.args:
                    function = ast.unparse(node.func)
                    key = node.args[0]
                    reads = function in ("os.environ.get", "os.getenv", "environ.get", "getenv")
                elif isinstance(node, ast.Subscript):
                    reads, key = ast.unparse(node.value) in ("os.environ", "environ"), node.slice
                else:
                    continue
                if reads and isinstance(key, ast.Constant) and key.value in names:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {key.value}")
    return found


def test_the_path_settings_are_read_in_one_place():
    """Every HKBOT_* path comes from hkbot/settings.py; a second reader could disagree with it on a default."""
    found = [line for line in environment_reads(ROOT, PATH_VARIABLES) if not line.startswith("hkbot/settings.py:")]
    assert found == []


def test_the_command_line_starts_without_rasa_or_tensorflow():
    """`hkbot --help` builds every command's parser: the reason most of the remaining lazy imports exist."""
    code = ("import sys; from bots.cli.main import build_parser; build_parser(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'rasa', 'tensorflow', 'spacy', 'sanic'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_checker_finds_a_circle_an_upward_import_an_unexplained_lazy_import_and_a_second_settings_reader(tmp_path):
    """The checks above can fail: a small project with one of each problem."""
    files = {
        "hkbot/__init__.py": "",
        "hkbot/settings.py": "from nlu import lexicon\n",
        "nlu/__init__.py": "",
        "nlu/lexicon.py": "from nlu.script import converter\n",
        "nlu/script.py": "def converter():\n    from .lexicon import words\n",
        "knowledge/__init__.py": "",
        "knowledge/live.py": "import os\ndef folder():\n    from bots.settings import knowledge_dir  # paths\n    return os.environ.get('HKBOT_KNOWLEDGE_DIR')\n",
        "bots/__init__.py": "",
        "bots/settings.py": "import knowledge.live\n",
        "bots/app.py": "def run():\n    # start-up: Rasa loads late\n    from bots import settings\n    from nlu import script\n",
        "bots/cli.py": "def main():\n    x = 1  # a comment about x, not the import\n    from bots import app\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    graph = read_graph(tmp_path)
    assert circles(graph) == {("nlu.lexicon", "nlu.script"), ("bots.settings", "knowledge.live")}
    assert upward(graph) == ["hkbot.settings -> nlu.lexicon", "knowledge.live -> bots.settings"]
    assert graph.unexplained == ["bots/cli.py:3: from bots import app", "nlu/script.py:2: from .lexicon import words"]
    assert environment_reads(tmp_path, PATH_VARIABLES) == ["knowledge/live.py:4: HKBOT_KNOWLEDGE_DIR"]
